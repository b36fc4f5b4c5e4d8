// What one HTTP response means for a download: pure, so each protocol rule sits beside its test.
//
// Resuming (RFC 9110 §14.2, §13.1.5): we send `Range: bytes=N-` and `If-Range: <validator>`.
//   "If the validator given in the If-Range header field matches the current validator for the
//    selected representation of the target resource, then the server SHOULD process the Range
//    header field as requested. If the validator does not match, then the server MUST ignore
//    the Range header field." — so a 200 answer means: start over from byte 0.
//   "A client MUST NOT generate an If-Range header field containing an entity tag that is
//    marked as weak." — a weak ETag is not sent; Last-Modified is used instead when known.
// 206 (§15.3.7) carries `Content-Range: bytes first-last/complete-length`; 416 (§15.5.17)
// carries `Content-Range: bytes */complete-length`.
import { FetchError } from './fetch-errors.js';
import type { ResponseHeaders } from './http-exchange.js';
import { parseRetryAfter } from './retry-after.js';
import { describeUrl, parseSourceUrl } from './source-url.js';

export interface Validator {
  etag?: string | undefined;
  lastModified?: string | undefined;
}

export const USER_AGENT = 'OpenVOD-ingest/1.0';

export function headerValue(headers: ResponseHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export const isWeakEtag = (etag: string): boolean => etag.startsWith('W/');

/** Request headers for a transfer that already holds `from` bytes. */
export function transferHeaders(from: number, validator: Validator): Record<string, string> {
  // identity: stored bytes must be the representation itself, and lengths must mean bytes on disk.
  const headers: Record<string, string> = { 'accept-encoding': 'identity', 'user-agent': USER_AGENT };
  if (from > 0) {
    headers.range = `bytes=${from}-`;
    const ifRange = validator.etag && !isWeakEtag(validator.etag) ? validator.etag : validator.lastModified;
    if (ifRange) headers['if-range'] = ifRange;
  }
  return headers;
}

export type ContentRange =
  | { readonly satisfied: true; readonly start: number; readonly end: number; readonly total: number | undefined }
  | { readonly satisfied: false; readonly total: number };

/** Parses `bytes a-b/total`, `bytes a-b/*` or `bytes *\/total`; undefined when malformed. */
export function parseContentRange(value: string | undefined): ContentRange | undefined {
  if (value === undefined) return undefined;
  const unsatisfied = /^bytes \*\/(\d+)$/i.exec(value.trim());
  if (unsatisfied) return { satisfied: false, total: Number(unsatisfied[1]) };
  const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/i.exec(value.trim());
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = Number(m[2]);
  const total = m[3] === '*' ? undefined : Number(m[3]);
  if (end < start || (total !== undefined && end >= total)) return undefined;
  return { satisfied: true, start, end, total };
}

export function parseContentLength(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  const n = Number(value.trim());
  return Number.isSafeInteger(n) ? n : undefined;
}

export function validatorOf(headers: ResponseHeaders): Validator {
  return { etag: headerValue(headers, 'etag'), lastModified: headerValue(headers, 'last-modified') };
}

/**
 * False when the response's validators show a different representation than the stored ones.
 * ETags win when both sides have one; Last-Modified is compared only when no ETag pair exists.
 */
export function sameRepresentation(stored: Validator, fresh: Validator): boolean {
  if (stored.etag && fresh.etag) return stored.etag.replace(/^W\//, '') === fresh.etag.replace(/^W\//, '');
  if (stored.lastModified && fresh.lastModified) return stored.lastModified === fresh.lastModified;
  return true;
}

const merge = (stored: Validator, fresh: Validator): Validator => ({
  etag: fresh.etag ?? stored.etag,
  lastModified: fresh.lastModified ?? stored.lastModified,
});

export type ResponsePlan =
  | { readonly kind: 'redirect'; readonly to: URL }
  | { readonly kind: 'fail'; readonly error: FetchError }
  /** 416 proving that the bytes we hold are the whole resource. */
  | { readonly kind: 'complete'; readonly total: number }
  /** A range answer we cannot use: drop the partial file and ask for the whole resource. */
  | { readonly kind: 'restart'; readonly reason: string }
  | {
      readonly kind: 'body';
      /** true: the body continues the file at `start`; false: it is the whole resource from byte 0. */
      readonly append: boolean;
      readonly start: number;
      /** Bytes this body should carry, when declared. */
      readonly length: number | undefined;
      /** Size of the whole resource, when known. */
      readonly total: number | undefined;
      readonly validator: Validator;
      readonly contentType: string | undefined;
    };

export interface PlanInput {
  readonly status: number;
  readonly headers: ResponseHeaders;
  readonly url: URL;
  /** Bytes already held (the Range we asked for starts there; 0 = no Range sent). */
  readonly requestedFrom: number;
  readonly stored: Validator;
  /** Size of the resource learnt earlier in this call. */
  readonly knownTotal: number | undefined;
  readonly maxBytes: number;
  readonly nowMs: number;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

function tooLarge(size: number, maxBytes: number, url: URL): FetchError {
  return new FetchError('FileSizeExceeded', `The source ${describeUrl(url)} is ${size} bytes, more than the limit of ${maxBytes} bytes`);
}

function statusFailure(input: PlanInput): FetchError {
  const { status, url } = input;
  const retryAfterMs = parseRetryAfter(input.headers['retry-after'], input.nowMs);
  const at = `${describeUrl(url)} answered HTTP ${status}`;
  const extra = retryAfterMs === undefined ? {} : { retryAfterMs };
  if (status === 429) return new FetchError('DownloadFailed.Throttled', `${at} (too many requests)`, { httpStatus: status, ...extra });
  if (status >= 500 && status <= 599) return new FetchError('DownloadFailed.HttpServerError', at, { httpStatus: status, ...extra });
  if (status === 408) return new FetchError('DownloadFailed.HttpClientError', `${at} (request timeout)`, { httpStatus: status, retryable: true, ...extra });
  if (status >= 300 && status <= 499) return new FetchError('DownloadFailed.HttpClientError', at, { httpStatus: status });
  return new FetchError('DownloadFailed.BadResponse', `${at}, which is not a valid final status`, { httpStatus: status });
}

export function planResponse(input: PlanInput): ResponsePlan {
  const { status, headers, url, requestedFrom, stored, maxBytes } = input;
  const fresh = validatorOf(headers);
  const contentType = headerValue(headers, 'content-type');

  if (REDIRECTS.has(status)) {
    const location = headerValue(headers, 'location');
    if (!location) {
      return { kind: 'fail', error: new FetchError('DownloadFailed.BadResponse', `${describeUrl(url)} answered HTTP ${status} without a Location`, { httpStatus: status }) };
    }
    try {
      return { kind: 'redirect', to: parseSourceUrl(location, url) };
    } catch (err) {
      return { kind: 'fail', error: err as FetchError };
    }
  }

  if (status === 206) {
    const range = parseContentRange(headerValue(headers, 'content-range'));
    const problem =
      requestedFrom === 0 ? 'a 206 answer to a request without Range'
      : !range || !range.satisfied ? 'a 206 answer without a valid Content-Range'
      : range.start !== requestedFrom ? `a range starting at ${range.start} instead of ${requestedFrom}`
      : !sameRepresentation(stored, fresh) ? 'a different validator (the source changed)'
      : range.total !== undefined && input.knownTotal !== undefined && range.total !== input.knownTotal ? 'a different total size (the source changed)'
      : undefined;
    if (problem !== undefined || !range || !range.satisfied) {
      if (requestedFrom === 0) {
        return { kind: 'fail', error: new FetchError('DownloadFailed.BadResponse', `${describeUrl(url)} sent ${problem}`, { httpStatus: status }) };
      }
      return { kind: 'restart', reason: problem ?? 'unusable range answer' };
    }
    if (range.total !== undefined && range.total > maxBytes) return { kind: 'fail', error: tooLarge(range.total, maxBytes, url) };
    const length = range.end - range.start + 1;
    const declared = parseContentLength(headerValue(headers, 'content-length'));
    if (declared !== undefined && declared !== length) {
      return {
        kind: 'fail',
        error: new FetchError('DownloadFailed.LengthMismatch', `${describeUrl(url)} declared Content-Length ${declared} for a range of ${length} bytes`, { httpStatus: status, retryable: false }),
      };
    }
    return { kind: 'body', append: true, start: range.start, length, total: range.total, validator: merge(stored, fresh), contentType };
  }

  if (status >= 200 && status <= 299) {
    const length = parseContentLength(headerValue(headers, 'content-length'));
    if (length !== undefined && length > maxBytes) return { kind: 'fail', error: tooLarge(length, maxBytes, url) };
    // A 200 replaces whatever we held: the origin ignored Range, or If-Range did not match.
    return { kind: 'body', append: false, start: 0, length, total: length, validator: fresh, contentType };
  }

  if (status === 416 && requestedFrom > 0) {
    const range = parseContentRange(headerValue(headers, 'content-range'));
    // The whole resource is what we hold — unless an earlier answer in this call promised a
    // different size, in which case the source is inconsistent and nothing is taken on trust.
    const consistent = input.knownTotal === undefined || input.knownTotal === requestedFrom;
    if (range && !range.satisfied && range.total === requestedFrom && consistent && sameRepresentation(stored, fresh)) {
      return { kind: 'complete', total: range.total };
    }
    return { kind: 'restart', reason: 'a 416 answer that does not confirm the size we hold' };
  }

  return { kind: 'fail', error: statusFailure(input) };
}
