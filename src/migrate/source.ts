// The contract between a migration's sources (where items come from: a URL list, an S3/OSS bucket,
// a local directory, another VOD account) and the runner (ledger, methods, limits, completion).
// A source only lists items and hands out their bytes or URLs; it never talks to the target.
import type { Readable } from 'node:stream';

export type MigrationMethod = 'pull' | 'push' | 'register';

/** One thing to migrate, as the source describes it. */
export interface SourceItem {
  /**
   * Stable identity within the source, unique and the same on every listing: the URL (urls:),
   * the object key (s3:), the path relative to the root with `/` separators (dir:), the source
   * VideoId (vod:). The ledger's primary key together with the source spec.
   */
  readonly id: string;
  /** Metadata for the new media; the runner falls back to the file name for a missing title. */
  readonly title?: string | undefined;
  readonly description?: string | undefined;
  /** Comma-separated. */
  readonly tags?: string | undefined;
  readonly cateId?: number | undefined;
  /** A category by name (vod:): the runner finds or creates it on the target. */
  readonly cateName?: string | undefined;
  readonly coverUrl?: string | undefined;
  /** The file name with its extension (the target needs the extension to know the format). */
  readonly fileName: string;
  /** Bytes, when the source knows. */
  readonly size?: number | undefined;
  /** Lowercase hex MD5, when the source knows it (S3 single-part ETag, vod: FileMD5). */
  readonly md5?: string | undefined;
  /** Seconds, when the source knows (vod:). */
  readonly durationS?: number | undefined;
  /** ISO-8601, when the source knows. */
  readonly lastModified?: string | undefined;
  /** The user's own columns (CSV/JSONL extras), kept verbatim in the ledger and the export. */
  readonly extra: Readonly<Record<string, string>>;
  /**
   * Set when the source already knows the item cannot migrate (urls: a line that is not an
   * http(s) URL, a URL without an audio/video extension, a CateId that is not a number): the
   * runner records it as failed with this code and message and never submits it (one bad URL
   * would otherwise make the target refuse the whole UploadMediaByURL batch).
   */
  readonly invalid?: { readonly code: string; readonly message: string } | undefined;
}

export interface PushBody {
  readonly stream: Readable;
  /** Bytes, when known (lets the uploader check the stream's length). */
  readonly size?: number | undefined;
}

export interface MigrationSource {
  /** `urls`, `s3`, `dir` or `vod`. */
  readonly kind: string;
  /** The spec as given (`urls:list.csv`, `s3://bucket/prefix` …): identifies the source in the ledger. */
  readonly spec: string;
  /** The method used when `--method` is not given. */
  readonly defaultMethod: MigrationMethod;
  /** The methods this source can feed. */
  readonly methods: readonly MigrationMethod[];
  /**
   * Every item, each once, in a stable order (so a re-run lists the same items). Filtering (by
   * extension, size, modification time) happens here. Aborting the signal ends the iteration.
   */
  list(signal?: AbortSignal): AsyncIterable<SourceItem>;
  /**
   * pull: a URL the target can fetch, made just before submission (s3: presigned now, valid for
   * `expiresInS` so it covers the download; vod: a fresh signed FileURL from GetMezzanineInfo).
   */
  sourceUrl?(item: SourceItem, opts: { expiresInS: number; signal?: AbortSignal }): Promise<string>;
  /** push: the item's bytes as a stream (no temporary file). */
  open?(item: SourceItem, signal?: AbortSignal): Promise<PushBody>;
  /**
   * register: the `FileURL` naming the item's object in one of the target's storages — the
   * OSS-style `http(s)://<location>/<key>` when `storageLocation` is given, else `s3://<bucket>/<key>`.
   */
  registerUrl?(item: SourceItem, opts: { storageLocation?: string | undefined }): string;
  close(): Promise<void>;
}
