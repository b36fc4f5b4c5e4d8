// Errors of the URL fetcher. Every failure of `fetchToFile` is a `FetchError` whose `code` is one
// of FETCH_ERROR_CODES; the codes are stable (they end up as a URL job's `ErrorCode`), messages
// are for people. `URLInvalidError` is the one code ApsaraVideo documents for URL pulls; the rest
// follow its `Category.Detail` naming.

export interface FetchErrorCodeSpec {
  /** The fetcher itself retries this failure (with backoff, resuming with Range) within one call. */
  readonly retried: boolean;
  /** A later call (a later job run) could succeed: the failure is about the moment, not the source. */
  readonly retryable: boolean;
  readonly description: string;
}

export const FETCH_ERROR_CODES = {
  URLInvalidError: {
    retried: false, retryable: false,
    description: 'The URL is malformed or its scheme is not http/https (also for a redirect Location).',
  },
  URLBlocked: {
    retried: false, retryable: false,
    description: 'The host resolves to (or is) a loopback, private, link-local, metadata or otherwise non-public address and private networks are not allowed. No request is sent to it.',
  },
  'DownloadFailed.DnsLookup': {
    retried: true, retryable: true,
    description: 'The host name could not be resolved (NXDOMAIN is retried at most once; temporary DNS failures like other network errors).',
  },
  'DownloadFailed.Connect': {
    retried: true, retryable: true,
    description: 'No connection could be made (refused, unreachable, connect timeout), after the retries.',
  },
  'DownloadFailed.ConnectionReset': {
    retried: true, retryable: true,
    description: 'The connection was reset or closed during the transfer, after the retries (each retry resumes with Range).',
  },
  'DownloadFailed.Stalled': {
    retried: true, retryable: true,
    description: 'No response headers or no body bytes arrived within the stall timeout, after the retries.',
  },
  'DownloadFailed.HttpClientError': {
    retried: false, retryable: false,
    description: 'The origin answered 4xx (status in the message; 401/403/404/410 and the rest are not retried — only 408 is, and is reported with this code once the attempts run out) or an unexpected non-2xx status.',
  },
  'DownloadFailed.HttpServerError': {
    retried: true, retryable: true,
    description: 'The origin answered 5xx (status in the message) on every attempt; Retry-After is honoured between attempts.',
  },
  'DownloadFailed.Throttled': {
    retried: true, retryable: true,
    description: 'The origin answered 429 on every attempt, or asked (Retry-After) to wait longer than the fetcher will (5 minutes by default); `retryAfterMs` carries its wish.',
  },
  'DownloadFailed.TooManyRedirects': {
    retried: false, retryable: false,
    description: 'More redirects than allowed (5 by default).',
  },
  'DownloadFailed.RedirectLoop': {
    retried: false, retryable: false,
    description: 'A redirect led back to a URL already visited in the same chain.',
  },
  'DownloadFailed.LengthMismatch': {
    retried: true, retryable: true,
    description: 'The body ended before its declared length (Content-Length / Content-Range) on every attempt (each retry resumes with Range); a body longer than declared fails at once and is not retryable.',
  },
  'DownloadFailed.BadResponse': {
    retried: false, retryable: false,
    description: 'The origin sent an unusable response: a malformed HTTP message, a redirect without Location, an inconsistent Content-Range, or a range answer that never made progress.',
  },
  'DownloadFailed.Tls': {
    retried: false, retryable: false,
    description: 'The TLS handshake failed (untrusted or expired certificate, host name mismatch, protocol error).',
  },
  'DownloadFailed.StagingFile': {
    retried: false, retryable: true,
    description: 'The local staging file could not be read, written or hashed (disk full, permissions, a failed hashing thread).',
  },
  FileSizeExceeded: {
    retried: false, retryable: false,
    description: 'The source is larger than the limit (by Content-Length / Content-Range before reading, or while streaming); the partial staging file is removed.',
  },
  Cancelled: {
    retried: false, retryable: false,
    description: 'The caller aborted the signal. The staging file is kept so that a later call can resume.',
  },
} as const satisfies Record<string, FetchErrorCodeSpec>;

export type FetchErrorCode = keyof typeof FETCH_ERROR_CODES;

export interface FetchErrorOptions {
  readonly cause?: unknown;
  /** Overrides the code's default (e.g. a body longer than declared is a non-retryable LengthMismatch). */
  readonly retryable?: boolean;
  readonly httpStatus?: number;
  /** What the origin asked for with Retry-After, in ms (Throttled, HttpServerError). */
  readonly retryAfterMs?: number;
}

export class FetchError extends Error {
  readonly code: FetchErrorCode;
  readonly retryable: boolean;
  readonly httpStatus: number | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(code: FetchErrorCode, message: string, options: FetchErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FetchError';
    this.code = code;
    this.retryable = options.retryable ?? FETCH_ERROR_CODES[code].retryable;
    this.httpStatus = options.httpStatus;
    this.retryAfterMs = options.retryAfterMs;
  }
}

export const isFetchError = (err: unknown, code?: FetchErrorCode): err is FetchError =>
  err instanceof FetchError && (code === undefined || err.code === code);
