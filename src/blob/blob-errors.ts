// Errors every BlobStore adapter throws. The codes are stable: callers (ingest, the upload
// endpoint, the file routes) branch on `instanceof` or `code`, never on messages.
// These are storage errors, not API errors: the edges map them to the Alibaba catalog.

export type BlobErrorCode =
  | 'BlobNotFound'
  | 'BlobTooLarge'
  | 'InvalidBlobKey'
  | 'RangeNotSatisfiable'
  | 'BlobKeyConflict'
  | 'BlobStorageFailed'
  | 'BlobSourceInvalid'
  | 'BlobStoreClosed'
  | 'ABORT_ERR';

export abstract class BlobError extends Error {
  abstract readonly code: BlobErrorCode;
}

export class BlobNotFoundError extends BlobError {
  readonly code = 'BlobNotFound';
  readonly key: string;

  constructor(key: string, options?: { cause?: unknown }) {
    super(`Blob not found: ${key}`, options);
    this.name = 'BlobNotFoundError';
    this.key = key;
  }
}

/** The body went past `maxBytes`; nothing was stored. */
export class BlobTooLargeError extends BlobError {
  readonly code = 'BlobTooLarge';
  readonly maxBytes: number;

  constructor(maxBytes: number) {
    super(`Blob exceeds the limit of ${maxBytes} bytes`);
    this.name = 'BlobTooLargeError';
    this.maxBytes = maxBytes;
  }
}

export class InvalidBlobKeyError extends BlobError {
  readonly code = 'InvalidBlobKey';
  readonly key: string;

  constructor(key: string, reason: string) {
    super(`Invalid blob key ${JSON.stringify(key.length > 80 ? `${key.slice(0, 80)}…` : key)}: ${reason}`);
    this.name = 'InvalidBlobKeyError';
    this.key = key;
  }
}

/**
 * The requested range cannot be served (first byte at or past the end, or a malformed range).
 * `size` lets the HTTP edge answer `Content-Range: bytes *\/<size>` (RFC 9110 §14.4); it is
 * undefined when the range was rejected before the object was looked at.
 */
export class RangeNotSatisfiableError extends BlobError {
  readonly code = 'RangeNotSatisfiable';
  readonly size: number | undefined;

  constructor(message: string, size?: number) {
    super(message);
    this.name = 'RangeNotSatisfiableError';
    this.size = size;
  }
}

/**
 * A store that keeps keys as paths (the filesystem) cannot hold both `a` and `a/b`.
 * Thrown instead of corrupting either object; S3 never throws it.
 */
export class BlobKeyConflictError extends BlobError {
  readonly code = 'BlobKeyConflict';
  readonly key: string;

  constructor(key: string, options?: { cause?: unknown }) {
    super(`Blob key ${JSON.stringify(key)} conflicts with an existing key that is its parent or child path`, options);
    this.name = 'BlobKeyConflictError';
    this.key = key;
  }
}

/** The storage itself failed (disk full, permission, S3 service error). `cause` has the original. */
export class BlobStorageError extends BlobError {
  readonly code = 'BlobStorageFailed';

  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
    this.name = 'BlobStorageError';
  }
}

/**
 * The local file handed to putFile() can't be stored as given: missing, not a regular file
 * (a symlink, a directory…), unreadable, changed while it was being stored, or not matching the
 * `md5Hex` the caller vouched for. Nothing was stored and the file was left where it was.
 */
export class BlobSourceError extends BlobError {
  readonly code = 'BlobSourceInvalid';
  readonly path: string;

  constructor(path: string, reason: string, options?: { cause?: unknown }) {
    super(`Cannot store the file ${JSON.stringify(path)}: ${reason}`, options);
    this.name = 'BlobSourceError';
    this.path = path;
  }
}

export class BlobStoreClosedError extends BlobError {
  readonly code = 'BlobStoreClosed';

  constructor() {
    super('The blob store is closed');
    this.name = 'BlobStoreClosedError';
  }
}

/**
 * The caller's AbortSignal fired. Named `AbortError` (with Node's `ABORT_ERR` code) so generic
 * abort handling recognises it; `cause` is the signal's reason.
 */
export class BlobAbortedError extends BlobError {
  readonly code = 'ABORT_ERR';

  constructor(options?: { cause?: unknown }) {
    super('The blob operation was aborted', options);
    this.name = 'AbortError';
  }
}
