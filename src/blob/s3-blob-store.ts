// BlobStore on any S3-compatible object store (AWS S3, MinIO, Ceph, OSS …): the distributed
// mode's media store, shared by every api and worker process without a shared disk.
//
// S3 already gives what the port asks for: an object becomes visible only when its upload
// completes and replaces the previous one atomically (last writer wins), a GET that has started
// keeps reading the version it started on, and listings are in ascending UTF-8 byte order.
// Writes: s3-upload.ts (single PutObject or multipart Upload, bounded memory) and
// s3-attach-md5.ts; reads: s3-get.ts; listing and bulk deletion: s3-list.ts; the MD5 etag and
// content type kept in metadata: s3-object-info.ts; errors: s3-errors.ts.

import { unlink } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import type { HeadObjectCommandOutput, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { assertValidMaxBytes, meterBody } from './blob-body.js';
import type { MeteredBody } from './blob-body.js';
import { BlobAbortedError, BlobError, BlobSourceError, BlobStorageError, BlobStoreClosedError } from './blob-errors.js';
import { SOURCE_READ_CHUNK_BYTES, inspectSourceFile, md5OfFile, normalizeMd5Hex, openSourceFile } from './blob-source-file.js';
import type { SourceFile } from './blob-source-file.js';
import type { BlobBody, BlobInfo, BlobListEntry, BlobStore, GetOptions, PutFileOptions, PutOptions } from './blob-store.js';
import { errnoCode } from './fs-blob-io.js';
import { createS3Client } from './s3-client.js';
import { describeS3Error, isNoSuchKey, storageError } from './s3-errors.js';
import { getObject } from './s3-get.js';
import { fromObjectKey, normalizeStorePrefix, toObjectKey, toObjectPrefix } from './s3-keys.js';
import { deleteAll, listPages } from './s3-list.js';
import { infoFromHead, unquoteEtag, wholeSeconds } from './s3-object-info.js';
import type { S3Target } from './s3-target.js';
import { writeObject } from './s3-upload.js';

export interface S3BlobStoreOptions {
  /** e.g. `https://minio.internal:9000`; absent = AWS S3 for `region`. */
  endpoint?: string;
  region: string;
  bucket: string;
  /** Prepended to every key (e.g. `media/`); '' by default. */
  prefix?: string;
  /** Absent = the AWS SDK's default credential chain (environment, profiles, instance roles …). */
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  /** Path-style URLs (`endpoint/bucket/key`), which most self-hosted servers want. Default false. */
  forcePathStyle?: boolean;
  /**
   * Multipart part size (5 MiB … 5 GiB, default 8 MiB). Bodies up to this size are one
   * PutObject; a streamed put() can be at most 10,000 parts long (78 GiB by default); putFile()
   * grows the parts to fit any file. Memory per write is about (queueSize + 2) parts.
   */
  partSizeBytes?: number;
  /** Parts uploaded at once per write (default 4). */
  queueSize?: number;
  /** Part size of the server-side copy that attaches the MD5 to a streamed multipart object (default 1 GiB). */
  copyPartSizeBytes?: number;
}

export interface S3BlobStore extends BlobStore {
  readonly kind: 's3';
  readonly bucket: string;
  /** Prepended to every key. */
  readonly prefix: string;
  /** A URL that GETs the object (Range allowed) without credentials for `expiresInS` seconds (≤ 7 days). */
  presignGet(key: string, expiresInS: number): Promise<string>;
}

const MiB = 1024 * 1024;
export const DEFAULT_PART_SIZE_BYTES = 8 * MiB;
export const DEFAULT_QUEUE_SIZE = 4;
export const DEFAULT_COPY_PART_SIZE_BYTES = 1024 * MiB;
/** S3's bounds for a part: 5 MiB (except the last) to 5 GiB; at most 10,000 parts. */
const MIN_PART_BYTES = 5 * MiB;
const MAX_PART_BYTES = 5 * 1024 * MiB;
const MAX_PARTS = 10_000;
/** SigV4 presigned URLs live at most 7 days. */
const MAX_PRESIGN_S = 7 * 24 * 3600;

interface Settings {
  readonly partSizeBytes: number;
  readonly queueSize: number;
  readonly copyPartSizeBytes: number;
}

/** What a write streams, and what it must check before committing. */
interface Opened {
  readonly body: BlobBody;
  readonly knownMd5Hex?: string | undefined;
  readonly skipMd5?: boolean | undefined;
  readonly partSizeBytes?: number | undefined;
  readonly verify?: ((meter: MeteredBody) => void) | undefined;
}

export function createS3BlobStore(opts: S3BlobStoreOptions): S3BlobStore {
  const problems: string[] = [];
  if (typeof opts.bucket !== 'string' || opts.bucket === '') problems.push('bucket must be a non-empty string');
  const partSizeBytes = checkedInt(problems, 'partSizeBytes', opts.partSizeBytes, DEFAULT_PART_SIZE_BYTES, MIN_PART_BYTES, MAX_PART_BYTES);
  const copyPartSizeBytes = checkedInt(problems, 'copyPartSizeBytes', opts.copyPartSizeBytes, DEFAULT_COPY_PART_SIZE_BYTES, MIN_PART_BYTES, MAX_PART_BYTES);
  const queueSize = checkedInt(problems, 'queueSize', opts.queueSize, DEFAULT_QUEUE_SIZE, 1, 64);
  let prefix = '';
  try {
    prefix = normalizeStorePrefix(opts.prefix);
  } catch (error) {
    problems.push(error instanceof Error ? error.message : String(error));
  }
  if (problems.length > 0) throw new RangeError(`Invalid S3 blob store options: ${problems.join('; ')}`);
  return new S3Store(createS3Client(opts), opts.bucket, prefix, { partSizeBytes, queueSize, copyPartSizeBytes });
}

class S3Store implements S3BlobStore {
  readonly kind = 's3';
  readonly bucket: string;
  readonly prefix: string;
  readonly #client: S3Client;
  readonly #settings: Settings;
  /** One controller per write in flight, aborted by close(). */
  readonly #writes = new Map<AbortController, Promise<unknown>>();
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(client: S3Client, bucket: string, prefix: string, settings: Settings) {
    this.#client = client;
    this.bucket = bucket;
    this.prefix = prefix;
    this.#settings = settings;
  }

  async put(key: string, body: BlobBody, opts: PutOptions = {}): Promise<BlobInfo> {
    this.#assertOpen();
    const target = this.#target(key);
    assertValidMaxBytes(opts.maxBytes);
    return this.#write(key, target, opts, undefined, () => Promise.resolve({ body }));
  }

  async putFile(key: string, path: string, opts: PutFileOptions = {}): Promise<BlobInfo> {
    this.#assertOpen();
    const target = this.#target(key);
    const md5Hex = normalizeMd5Hex(opts.md5Hex);
    const { contentType, signal } = opts;
    if (signal?.aborted === true) throw new BlobAbortedError({ cause: signal.reason });
    const source = await inspectSourceFile(path);
    const partSizeBytes = this.#partSizeFor(source.size);
    const skipMd5 = md5Hex === undefined && opts.skipMd5 === true;
    const info = await this.#write(key, target, { contentType, signal }, source, async (ownSignal) => {
      // A file that takes several parts is hashed first, so that its MD5 goes into the metadata
      // when the upload starts (no copy afterwards); the upload checks it again on the way.
      // With skipMd5 it is neither hashed first nor copied after: one read, the upload's.
      const hashed = md5Hex === undefined && !skipMd5 && source.size > partSizeBytes ? await md5OfFile(source, ownSignal) : undefined;
      const handle = await openSourceFile(source);
      const body = handle.createReadStream({ highWaterMark: SOURCE_READ_CHUNK_BYTES, autoClose: true });
      return { body, knownMd5Hex: md5Hex ?? hashed, skipMd5, partSizeBytes, verify: (meter) => assertMatchesSource(source, meter, md5Hex, hashed) };
    });
    if (opts.move === true) await removeSource(source);
    return info;
  }

  /** Runs one write: opens the body, streams it to S3, and reports the stored object. */
  async #write(
    key: string,
    target: S3Target,
    opts: PutOptions,
    source: SourceFile | undefined,
    open: (signal: AbortSignal) => Promise<Opened>,
  ): Promise<BlobInfo> {
    let meter: MeteredBody | undefined;
    // The body's own failure is rethrown unchanged by put(); for putFile it is the file's.
    const bodyError = (error: unknown): Error | undefined => {
      if (meter?.isBodyError(error) !== true) return undefined;
      if (source !== undefined) return new BlobSourceError(source.path, `reading it failed (${describe(error)})`, { cause: error });
      return error instanceof Error ? error : new Error(`The body failed: ${describe(error)}`, { cause: error });
    };
    try {
      return await this.#tracked(
        key,
        opts.signal,
        async (signal) => {
          const opened = await open(signal);
          const metered = meterBody(opened.body, { maxBytes: opts.maxBytes, signal });
          meter = metered;
          const written = await writeObject(target, metered, {
            contentType: opts.contentType,
            knownMd5Hex: opened.knownMd5Hex,
            skipMd5: opened.skipMd5 === true,
            partSizeBytes: opened.partSizeBytes ?? this.#settings.partSizeBytes,
            queueSize: this.#settings.queueSize,
            copyPartSizeBytes: this.#settings.copyPartSizeBytes,
            signal,
            beforeCommit: () => opened.verify?.(metered),
          });
          return {
            key,
            size: metered.size,
            etag: written.blobEtag,
            lastModified: await this.#lastModified(target, written.etag),
            contentType: opts.contentType,
          };
        },
        bodyError,
      );
    } finally {
      meter?.abandon(); // no-op once the body was read to the end
    }
  }

  /**
   * When the version just written was stored, from a HEAD (S3 doesn't return it on writes), if
   * that version is still there; otherwise — replaced meanwhile — the current second.
   */
  async #lastModified(target: S3Target, etag: string | undefined): Promise<Date> {
    if (etag !== undefined) {
      const head = await this.#head(target).catch(() => null); // the object is stored: only its date is at stake
      if (head?.LastModified !== undefined && unquoteEtag(head.ETag) === unquoteEtag(etag)) return wholeSeconds(head.LastModified);
    }
    return wholeSeconds(new Date());
  }

  /**
   * Runs one write under our own controller — fed by the caller's signal and by close(), which
   * waits for it — and maps its failure: the caller's abort, the store closing, `ownError`'s
   * answer, a BlobError as it is, anything else as BlobStorageError.
   */
  async #tracked<T>(key: string, userSignal: AbortSignal | undefined, run: (signal: AbortSignal) => Promise<T>, ownError: (error: unknown) => Error | undefined): Promise<T> {
    this.#assertOpen();
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(userSignal?.reason);
    if (userSignal?.aborted === true) onAbort();
    else userSignal?.addEventListener('abort', onAbort, { once: true });
    const task = run(controller.signal);
    this.#writes.set(controller, task.catch(() => undefined));
    try {
      return await task;
    } catch (error) {
      if (userSignal?.aborted === true) throw new BlobAbortedError({ cause: userSignal.reason });
      if (controller.signal.aborted && this.#closed) throw new BlobStoreClosedError();
      const own = ownError(error);
      if (own !== undefined) throw own;
      if (error instanceof BlobError) throw error;
      throw storageError(`Writing ${key}`, error);
    } finally {
      this.#writes.delete(controller);
      userSignal?.removeEventListener('abort', onAbort);
    }
  }

  async get(key: string, opts: GetOptions = {}): Promise<Readable> {
    this.#assertOpen();
    return getObject(this.#target(key), key, opts);
  }

  async stat(key: string): Promise<BlobInfo | null> {
    this.#assertOpen();
    const target = this.#target(key);
    let head: HeadObjectCommandOutput;
    try {
      head = await this.#head(target);
    } catch (error) {
      if (isNoSuchKey(error)) return null;
      throw storageError(`Stat of ${key}`, error);
    }
    return infoFromHead(key, head);
  }

  async delete(key: string): Promise<void> {
    this.#assertOpen();
    const target = this.#target(key);
    try {
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: target.objectKey }));
    } catch (error) {
      if (isNoSuchKey(error)) return;
      throw storageError(`Deleting ${key}`, error);
    }
  }

  async deletePrefix(prefix: string): Promise<void> {
    this.#assertOpen();
    await deleteAll({ client: this.#client, bucket: this.bucket }, toObjectPrefix(this.prefix, prefix));
  }

  async *list(prefix: string): AsyncGenerator<BlobListEntry> {
    this.#assertOpen();
    const objectPrefix = toObjectPrefix(this.prefix, prefix, { allowEmpty: true });
    for await (const page of listPages({ client: this.#client, bucket: this.bucket }, objectPrefix)) {
      for (const object of page) {
        const key = fromObjectKey(this.prefix, object.Key);
        if (key !== undefined) yield { key, size: object.Size ?? 0, lastModified: wholeSeconds(object.LastModified ?? new Date(0)) };
      }
    }
  }

  async presignGet(key: string, expiresInS: number): Promise<string> {
    this.#assertOpen();
    const target = this.#target(key);
    if (!(Number.isSafeInteger(expiresInS) && expiresInS >= 1 && expiresInS <= MAX_PRESIGN_S)) {
      throw new RangeError(`expiresInS must be an integer from 1 to ${MAX_PRESIGN_S}, got ${String(expiresInS)}`);
    }
    try {
      return await getSignedUrl(this.#client, new GetObjectCommand({ Bucket: this.bucket, Key: target.objectKey }), { expiresIn: expiresInS });
    } catch (error) {
      throw new BlobStorageError(`Presigning ${key} failed: ${describeS3Error(error)}`, { cause: error });
    }
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    for (const controller of this.#writes.keys()) controller.abort(new BlobStoreClosedError());
    await Promise.all(this.#writes.values());
    this.#client.destroy();
  }

  #head(target: S3Target): Promise<HeadObjectCommandOutput> {
    return this.#client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: target.objectKey }));
  }

  /** The S3 object behind `key`; InvalidBlobKeyError before any request. */
  #target(key: string): S3Target {
    return { client: this.#client, bucket: this.bucket, objectKey: toObjectKey(this.prefix, key) };
  }

  /** The configured part size, or larger so that a file of `size` bytes fits in 10,000 parts. */
  #partSizeFor(size: number): number {
    const needed = Math.ceil(Math.ceil(size / MAX_PARTS) / MiB) * MiB;
    return Math.min(MAX_PART_BYTES, Math.max(this.#settings.partSizeBytes, needed));
  }

  #assertOpen(): void {
    if (this.#closed) throw new BlobStoreClosedError();
  }
}

/** Fails with BlobSourceError, before anything is committed, unless the bytes read are the file's. */
function assertMatchesSource(source: SourceFile, meter: MeteredBody, given: string | undefined, hashed: string | undefined): void {
  if (meter.size !== source.size) throw new BlobSourceError(source.path, `changed while being stored (${source.size} bytes, then ${meter.size})`);
  const md5 = meter.md5Hex();
  if (given !== undefined && md5 !== given) throw new BlobSourceError(source.path, `its MD5 is ${md5}, not the md5Hex given (${given})`);
  if (hashed !== undefined && md5 !== hashed) throw new BlobSourceError(source.path, 'changed while being stored (its MD5 changed)');
}

/** The end of putFile's `move`: the stored file's source goes. */
async function removeSource(source: SourceFile): Promise<void> {
  try {
    await unlink(source.path);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return;
    throw new BlobStorageError(`Stored ${JSON.stringify(source.path)} but could not remove it: ${describe(error)}`, { cause: error });
  }
}

function checkedInt(problems: string[], name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!(Number.isSafeInteger(value) && value >= min && value <= max)) problems.push(`${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
  return value;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
