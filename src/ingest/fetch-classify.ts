// Maps what the network throws (Node errno codes, undici's UND_ERR_*, llhttp's HPE_*, our
// watchdog) onto the fetcher's codes, and says which failures are worth another attempt now.
import { FETCH_ERROR_CODES, FetchError } from './fetch-errors.js';
import { type ExchangePhase, ExchangeTimeoutError } from './http-exchange.js';
import { describeUrl } from './source-url.js';

export interface TransportContext {
  readonly url: URL;
  readonly phase: ExchangePhase;
  /** Body bytes received in this response. */
  readonly bodyBytes: number;
  /** Body bytes the response declared, when it did. */
  readonly expectedLength: number | undefined;
}

const NAME_NOT_FOUND = new Set(['ENOTFOUND', 'EAI_NONAME', 'EAI_NODATA', 'ENODATA']);
const DNS_TEMPORARY = new Set(['EAI_AGAIN', 'EAI_FAIL', 'ESERVFAIL', 'ETIMEOUT']);
const CONNECT = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT']);
const DROPPED = new Set([
  'ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ETIMEDOUT', 'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'UND_ERR_ABORTED', 'UND_ERR_REQ_RETRY',
]);
const TLS_CODES = new Set([
  'EPROTO', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_REVOKED',
  'CERT_UNTRUSTED', 'CERT_REJECTED', 'HOSTNAME_MISMATCH', 'ERR_TLS_CERT_ALTNAME_INVALID',
]);
const isTlsCode = (code: string): boolean => TLS_CODES.has(code) || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_');

/** Every error in a cause chain (and inside AggregateErrors), outermost first. */
function chain(err: unknown): unknown[] {
  const out: unknown[] = [];
  const visit = (e: unknown, depth: number): void => {
    if (e === undefined || e === null || depth > 6 || out.includes(e)) return;
    out.push(e);
    if (e instanceof AggregateError) for (const inner of e.errors) visit(inner, depth + 1);
    if (e instanceof Error) visit(e.cause, depth + 1);
  };
  visit(err, 0);
  return out;
}

const codeOf = (e: unknown): string | undefined => {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
};

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** A transport failure as a FetchError (a FetchError found in the chain is returned as it is). */
export function classifyTransportError(err: unknown, ctx: TransportContext): FetchError {
  const errors = chain(err);
  const known = errors.find((e): e is FetchError => e instanceof FetchError);
  if (known) return known;
  const where = describeUrl(ctx.url);
  const timeout = errors.find((e): e is ExchangeTimeoutError => e instanceof ExchangeTimeoutError);
  if (timeout) {
    return timeout.phase === 'connect'
      ? new FetchError('DownloadFailed.Connect', `Could not connect to ${ctx.url.host}: ${timeout.message}`, { cause: err })
      : new FetchError('DownloadFailed.Stalled', `${where} stalled: ${timeout.message}`, { cause: err });
  }
  const codes = errors.map(codeOf).filter((c): c is string => c !== undefined);
  const has = (set: ReadonlySet<string>): boolean => codes.some((c) => set.has(c));
  const detail = `${messageOf(err)}${codes.length > 0 ? ` (${[...new Set(codes)].join(', ')})` : ''}`;

  if (has(NAME_NOT_FOUND) || has(DNS_TEMPORARY)) {
    return new FetchError('DownloadFailed.DnsLookup', `Could not resolve ${ctx.url.hostname}: ${detail}`, { cause: err });
  }
  if (codes.some(isTlsCode)) return new FetchError('DownloadFailed.Tls', `TLS with ${ctx.url.host} failed: ${detail}`, { cause: err });
  if (codes.some((c) => c.startsWith('HPE_'))) {
    return new FetchError('DownloadFailed.BadResponse', `${where} sent a malformed HTTP message: ${detail}`, { cause: err });
  }
  if (has(CONNECT) || ctx.phase === 'connect') {
    return new FetchError('DownloadFailed.Connect', `Could not connect to ${ctx.url.host}: ${detail}`, { cause: err });
  }
  if (codes.includes('UND_ERR_RES_CONTENT_LENGTH_MISMATCH')) {
    return new FetchError('DownloadFailed.LengthMismatch', `${where}: the body did not match its Content-Length: ${detail}`, { cause: err });
  }
  // The origin closed the connection cleanly (FIN) before the declared end of the body.
  if (codes.includes('UND_ERR_SOCKET') && !codes.includes('ECONNRESET') && ctx.phase === 'body' && ctx.expectedLength !== undefined && ctx.bodyBytes < ctx.expectedLength) {
    return new FetchError(
      'DownloadFailed.LengthMismatch',
      `${where}: the body ended after ${ctx.bodyBytes} of ${ctx.expectedLength} declared bytes`,
      { cause: err },
    );
  }
  if (has(DROPPED) || /socket hang up|other side closed/i.test(detail)) {
    return new FetchError('DownloadFailed.ConnectionReset', `The connection to ${ctx.url.host} was lost ${ctx.phase === 'body' ? `after ${ctx.bodyBytes} body bytes` : 'before the response'}: ${detail}`, { cause: err });
  }
  return new FetchError('DownloadFailed.ConnectionReset', `The request to ${where} failed: ${detail}`, { cause: err });
}

/** The failure is worth another attempt within the same call. */
export function retryInCall(err: FetchError): boolean {
  if (!err.retryable) return false;
  if (err.code === 'DownloadFailed.HttpClientError') return err.httpStatus === 408;
  return FETCH_ERROR_CODES[err.code].retried;
}

/** NXDOMAIN and friends: the name does not exist (retried at most once, unlike a DNS timeout). */
export function isNameNotFound(err: FetchError): boolean {
  return err.code === 'DownloadFailed.DnsLookup' && chain(err.cause).some((e) => NAME_NOT_FOUND.has(codeOf(e) ?? ''));
}
