// What `openSource` accepts besides the spec. Every option belongs to some source kinds only;
// giving one to a source it does not fit is a usage error (see `source-spec.ts`).

/** Something the user should see that does not stop the listing (a skipped duplicate, a link). */
export interface SourceWarning {
  readonly code: SourceWarningCode;
  readonly message: string;
  /** The item (or path) concerned, when there is one. */
  readonly id?: string | undefined;
}

export type SourceWarningCode =
  /** urls: the same URL again; the first occurrence is migrated, this one skipped. */
  | 'DuplicateItem'
  /** dir: a symbolic link pointing outside the root; not followed. */
  | 'SymlinkOutsideRoot'
  /** dir: a directory or file that could not be read (permissions); skipped. */
  | 'UnreadableEntry'
  /** vod: listed by SearchMedia but gone by the time its file was looked up; skipped. */
  | 'ItemVanished';

export interface SourceOptions {
  /** s3: S3-compatible endpoint (e.g. http://127.0.0.1:9000, https://oss-cn-hangzhou.aliyuncs.com). */
  s3Endpoint?: string | undefined;
  s3Region?: string | undefined;
  s3AccessKeyId?: string | undefined;
  s3SecretAccessKey?: string | undefined;
  /**
   * s3: path-style addressing (`endpoint/bucket/key`). Default: on when the endpoint's host is an
   * IP address or `localhost` (MinIO, s3rver, Ceph on a box), off otherwise (AWS, OSS).
   */
  s3ForcePathStyle?: boolean | undefined;
  /** s3/dir: extensions to take (lower-case, no dot); default: every audio/video format accepted. */
  extensions?: readonly string[] | undefined;
  /** s3/dir: bytes, inclusive. */
  minSize?: number | undefined;
  maxSize?: number | undefined;
  /** s3/dir: modification time ≥ modifiedAfter (inclusive) … */
  modifiedAfter?: Date | undefined;
  /** … and < modifiedBefore (exclusive), so consecutive windows neither overlap nor leave gaps. */
  modifiedBefore?: Date | undefined;
  /** vod: the source account's keys (required). */
  vodAccessKeyId?: string | undefined;
  vodAccessKeySecret?: string | undefined;
  /** vod: a SearchMedia `Match` expression, combined with the migratable statuses by `and`. */
  vodMatch?: string | undefined;
  /** Called for each warning while listing (the runner counts, logs or prints them). */
  onWarning?: ((warning: SourceWarning) => void) | undefined;
}
