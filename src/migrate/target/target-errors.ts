// How the migrator reads a failed call to the target.
//   rejected   the target refused to do it now and did nothing: Throttling*, 429, ServiceUnavailable
//              — always safe to send again after a pause;
//   transient  the answer is unknown or the server failed (5xx, network error, timeout): the
//              request may or may not have taken effect — only idempotent calls are sent again;
//   final      a definite refusal (4xx): sending it again would get the same answer.
import { UploadError, VodApiError } from '../../sdk/index.js';

export type FailureKind = 'rejected' | 'transient' | 'final';

export function classifyFailure(e: unknown): FailureKind {
  if (e instanceof VodApiError) {
    if (/^Throttling/i.test(e.code) || e.httpStatus === 429 || /^ServiceUn[Aa]vailable$/.test(e.code)) return 'rejected';
    if (e.httpStatus >= 500 || e.httpStatus === 0 || e.code === 'InvalidResponse') return 'transient';
    return 'final';
  }
  if (e instanceof UploadError) {
    if (e.code === 'Upload.TransferFailed') return e.httpStatus === undefined || e.httpStatus <= 0 || e.httpStatus >= 500 || e.httpStatus === 429 ? 'transient' : 'final';
    if (e.code === 'Upload.SourceFailed') return 'transient';
    return 'final';
  }
  if (e instanceof Error) {
    // undici: TypeError('fetch failed') with a cause; our per-request timeout: TimeoutError.
    if (e.name === 'TimeoutError' || (e.name === 'TypeError' && /fetch failed/i.test(e.message))) return 'transient';
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && /^(ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|EAI_AGAIN|UND_ERR_)/.test(code)) return 'transient';
  }
  return 'final';
}

/** The error's stable code for the ledger and the summary. */
export function errorCodeOf(e: unknown): string {
  if (e instanceof VodApiError) return e.code;
  if (e instanceof UploadError) return e.ossCode ? `${e.code}.${e.ossCode}` : e.code;
  if (e instanceof Error && 'code' in e && typeof (e as { code: unknown }).code === 'string') return (e as { code: string }).code;
  if (e instanceof Error && e.name === 'TimeoutError') return 'Migrate.Timeout';
  return 'Migrate.Unexpected';
}

export const errorMessageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e)).slice(0, 1000);

/**
 * Refusals that no item can get past — bad keys, a clock too far off, no permission, an endpoint
 * that is not a VOD API: the run stops instead of failing every item with the same code.
 */
export function isFatalForRun(e: unknown): boolean {
  if (!(e instanceof VodApiError)) return false;
  return /^(InvalidAccessKeyId|SignatureDoesNotMatch$|IncompleteSignature$|InvalidTimeStamp|IllegalTimestamp$|Forbidden\.RAM$|OperationDenied|InvalidApi\.NotFound$|InvalidAction|InvalidVersion$|InvalidSignatureMethod$)/.test(e.code);
}

/** The run cannot go on (see isFatalForRun); the ledger keeps every item where it was. */
export class RunStoppedError extends Error {
  override readonly name = 'RunStoppedError';
}

/** A source's failure as an item's code: the source's own (`Source.NotFound` …), else Migrate.SourceFailed. */
export function sourceErrorCode(e: unknown): string {
  const code = e instanceof Error ? (e as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^[A-Z][A-Za-z]+\.[A-Za-z.]+$/.test(code) ? code : 'Migrate.SourceFailed';
}
