// The BlobStore port: where media bytes live (sources, covers, snapshots).
// Adapters: `fs-blob-store.ts` (embedded default) and `s3-blob-store.ts`. Every adapter must
// pass `blob-store.conformance.ts` unchanged, so nothing here goes beyond what the S3 API can
// do: whole-object writes (no append, no rename), ranged reads, HEAD, delete, prefix listing.
// putFile() is a put() whose body is a local file: an adapter may optimise it (the fs store
// renames the file into place) but must behave exactly like a put of the file's bytes.

import type { Readable } from 'node:stream';

export { assertValidKey, assertValidPrefix } from './blob-key.js';

/**
 * A body for put(): a Node readable stream or any async iterable of bytes (string chunks are
 * taken as UTF-8). Arguments are checked before the body is touched; after that, a put that
 * fails destroys the body (as stream.pipeline does).
 */
export type BlobBody = AsyncIterable<Uint8Array> | NodeJS.ReadableStream;

export interface BlobInfo {
  key: string;
  size: number;
  /**
   * A validator that changes when the content changes. For an object written by put() or
   * putFile() it is the lowercase hex MD5 of the content (adapters hash while streaming; for S3
   * that is not the S3 ETag of a multipart upload, so the adapter keeps it in object metadata) —
   * unless putFile() was given `skipMd5`, which may leave the store's other validator instead.
   * That other validator is what objects that appeared by other means carry: on S3 their
   * unquoted S3 ETag (32 hex digits — the MD5 — for a single-part upload, `<hex>-<part count>`
   * for a multipart one), on the fs store an opaque value containing a `-`. Whichever it is,
   * stat() reports the etag put()/putFile() resolved with for as long as the object is unchanged.
   */
  etag: string;
  lastModified: Date;
  contentType: string | undefined;
}

/** What list() yields: what S3 ListObjectsV2 returns without a HEAD per object. */
export interface BlobListEntry {
  key: string;
  size: number;
  lastModified: Date;
}

export interface PutOptions {
  contentType?: string | undefined;
  signal?: AbortSignal | undefined;
  /** The put fails with BlobTooLargeError, storing nothing, as soon as the body exceeds this. */
  maxBytes?: number | undefined;
}

export interface PutFileOptions {
  contentType?: string | undefined;
  /**
   * Lowercase (or uppercase) hex MD5 of the file, when the caller already computed it while
   * writing the file: it becomes the etag and spares a re-read. Trusted: an adapter that reads
   * the file anyway (a copy) fails with BlobSourceError on a mismatch; a move does not check.
   */
  md5Hex?: string | undefined;
  /**
   * When true (and no `md5Hex` is given), the store neither reads the file to compute its MD5
   * nor attaches one afterwards: for a file of many GB whose MD5, if wanted, is computed later
   * elsewhere. The etag is then some validator (see BlobInfo.etag): the store's other kind, or
   * still the MD5 when the adapter hashes the bytes anyway at no extra cost (a copy through its
   * put path, a single-part upload) — callers must not assume either. `md5Hex` wins over this.
   */
  skipMd5?: boolean | undefined;
  /**
   * When true the local file is consumed: on success it no longer exists at `path` (the fs store
   * renames it into place when it is on the same filesystem — no copy —, other stores upload
   * then delete it). On failure it is left where it was. Default false: the file is only read.
   * Moving a file that already is the object at `key` — on a path-keyed store, another hard link
   * to the object's file, as a commit retried after a crash may pass — succeeds without touching
   * the object: that name is removed and the object's current info returned (`contentType`,
   * `md5Hex` and `skipMd5` are then ignored). The object's own path is refused (BlobSourceError).
   */
  move?: boolean | undefined;
  signal?: AbortSignal | undefined;
}

export interface GetOptions {
  /** Inclusive first byte (HTTP Range). */
  start?: number | undefined;
  /** Inclusive last byte (HTTP Range); clamped to the last byte of the object. */
  end?: number | undefined;
  /** Aborting destroys the returned stream with an AbortError. */
  signal?: AbortSignal | undefined;
}

export interface BlobStore {
  readonly kind: string;

  /**
   * Streams `body` into `key` with bounded memory. The object becomes visible only when
   * complete, and replaces a previous one atomically (last writer wins): a reader sees the old
   * object or the new one, never a part. A failed or aborted put leaves the previous object (or
   * nothing) and no temporary garbage. Resolves with the stored object's info (MD5 etag).
   *
   * Rejects with InvalidBlobKeyError, BlobTooLargeError, BlobAbortedError (`name` AbortError),
   * BlobKeyConflictError (path-keyed stores only), BlobStoreClosedError, BlobStorageError
   * (the storage failed) or — unchanged — the error the body itself raised.
   */
  put(key: string, body: BlobBody, opts?: PutOptions): Promise<BlobInfo>;

  /**
   * Stores a complete local file as `key`, with the same visibility and atomicity guarantees
   * as put(). The file must be a regular file (a symlink is refused, not followed) that nobody
   * writes to meanwhile. Resolves with the stored object's info (etag = `md5Hex`, the MD5 the
   * adapter computed, or — with `skipMd5` — some validator).
   *
   * Rejects with InvalidBlobKeyError, BlobSourceError (missing, not a regular file, unreadable;
   * nothing stored), BlobAbortedError, BlobKeyConflictError (path-keyed stores only),
   * BlobStoreClosedError or BlobStorageError; a malformed `md5Hex` throws RangeError. On any
   * rejection the file is still at `path`.
   */
  putFile(key: string, path: string, opts?: PutFileOptions): Promise<BlobInfo>;

  /**
   * The object, or an inclusive byte range of it, as a stream (consume or destroy it: it holds
   * a file or a connection). A stream that has been opened keeps delivering the object it
   * opened even if the key is overwritten meanwhile.
   * Rejects with BlobNotFoundError, or RangeNotSatisfiableError when `start` is at or past the
   * end (any range on an empty object) or the range is malformed.
   */
  get(key: string, opts?: GetOptions): Promise<Readable>;

  /** The object's info, or null. Cheap: never reads the content. */
  stat(key: string): Promise<BlobInfo | null>;

  /** Removes the object. Idempotent. */
  delete(key: string): Promise<void>;

  /**
   * Removes every object whose key starts with `prefix` (S3 semantics: `v1/` spares `v10/…`).
   * The empty prefix is refused. Idempotent.
   */
  deletePrefix(prefix: string): Promise<void>;

  /**
   * Objects whose key starts with `prefix` (`''` = all), recursively, in ascending UTF-8 byte
   * order of the key (as S3 lists). Never yields objects still being written.
   */
  list(prefix: string): AsyncIterable<BlobListEntry>;

  /** Aborts writes still in flight (their puts reject, leaving nothing) and releases
   * resources. Idempotent; later calls reject with BlobStoreClosedError. */
  close(): Promise<void>;
}
