// The URL fetcher behind `UploadMediaByURL`: downloads one source URL into a local staging file
// with bounded memory, hashing (MD5) on the way, resuming with Range/If-Range (from a previous
// run's persisted state, and within a call after a dropped connection), a stall watchdog instead
// of a total timeout, retries with backoff and full jitter that honour Retry-After, redirects
// followed by hand (each hop re-checked by the SSRF-guarded agent), and per-host concurrency.
// Every failure is a FetchError with a code from FETCH_ERROR_CODES.
import { setTimeout as delay } from 'node:timers/promises';
import type { Dispatcher } from 'undici';
import { backoffDelayMs } from '../jobs/backoff.js';
import { type AttemptContext, type AttemptOutcome, cancelledError, runAttempt, type TransferState } from './fetch-attempt.js';
import { isNameNotFound, retryInCall } from './fetch-classify.js';
import { FetchError } from './fetch-errors.js';
import { DEFAULT_FETCH_LIMITS, type FetchLimits, FetchLimitsError, fetchLimitsProblems } from './fetch-limits.js';
import type { HostLimiter } from './host-limiter.js';
import { parseSourceUrl } from './source-url.js';
import { openStagingFile } from './staging-file.js';

export { DEFAULT_FETCH_LIMITS, type FetchLimits } from './fetch-limits.js';

/** What the caller persisted from a previous run (from `onProgress`). */
export interface ResumeState {
  bytes: number;
  /** The resource size the origin declared to the earlier run, if it did: its answers must agree. */
  total?: number | undefined;
  etag?: string | undefined;
  lastModified?: string | undefined;
}

export interface FetchProgress {
  /** Bytes in the staging file (all written and hashed). */
  bytes: number;
  /** Size of the whole source, when the origin declared it. */
  total: number | undefined;
  /** Persist these with `bytes`: a later run sends them as If-Range. */
  validator: { etag?: string | undefined; lastModified?: string | undefined };
}

export interface FetchResult {
  size: number;
  /** Hex MD5 of the whole file (resumed prefix included). */
  md5: string;
  contentType: string | undefined;
  /** The URL the bytes came from, after redirects. */
  finalUrl: string;
  etag?: string | undefined;
  lastModified?: string | undefined;
  /** Bytes of the staging file reused from a previous run (0 when it had to start over). */
  resumedFromBytes: number;
  /** Network-level attempts made (1 when the first one succeeded). */
  attempts: number;
  /** Requests sent with a Range header. */
  rangeRequests: number;
  /** Times the file was truncated to 0 because the origin sent the whole resource again. */
  restarts: number;
}

export interface FetchToFileOptions {
  url: string;
  /** Local staging file (its directory must exist). Kept on failure (removed on FileSizeExceeded). */
  file: string;
  resume?: ResumeState | undefined;
  signal: AbortSignal;
  limits: FetchLimits;
  /** Dispatcher for every request: the SSRF-guarded agent (`createGuardedAgent`). */
  agent: Dispatcher;
  hostLimiter: HostLimiter;
  /** Called after every chunk written and when the file starts over; errors thrown here are ignored. */
  onProgress?(p: FetchProgress): void;
  /** Waits before a retry; must reject when `signal` aborts. */
  sleep?(ms: number, signal: AbortSignal): Promise<void>;
  /** Uniform in [0, 1), for backoff jitter. */
  random?(): number;
  /** Clock for Retry-After dates. */
  now?(): number;
}

/** NXDOMAIN gets this many retries at most (a name that does not exist rarely starts to). */
const NAME_NOT_FOUND_RETRIES = 1;

const defaultSleep = async (ms: number, signal: AbortSignal): Promise<void> => {
  await delay(ms, undefined, { signal });
};

export async function fetchToFile(opts: FetchToFileOptions): Promise<FetchResult> {
  const limits: Required<FetchLimits> = { ...opts.limits, maxRetryAfterMs: opts.limits.maxRetryAfterMs ?? DEFAULT_FETCH_LIMITS.maxRetryAfterMs };
  const problems = fetchLimitsProblems(limits);
  if (problems.length > 0) throw new FetchLimitsError(problems);
  const source = parseSourceUrl(opts.url);
  const { signal } = opts;
  if (signal.aborted) throw cancelledError(signal);

  const staging = await openStagingFile(opts.file, opts.resume?.bytes ?? 0, signal);
  const state: TransferState = {
    validator: staging.bytes() > 0 ? { etag: opts.resume?.etag, lastModified: opts.resume?.lastModified } : {},
    total: staging.bytes() > 0 ? opts.resume?.total : undefined,
    contentType: undefined,
    finalUrl: source.href,
    resumedFromBytes: staging.bytes(),
    restarts: 0,
    rangeRequests: 0,
    rangeDisabled: false,
  };
  const progress = (): void => {
    try {
      opts.onProgress?.({ bytes: staging.bytes(), total: state.total, validator: { ...state.validator } });
    } catch {
      // A failing progress callback must not fail the download.
    }
  };
  const ctx: AttemptContext = {
    source, staging, signal, limits, agent: opts.agent, hostLimiter: opts.hostLimiter, progress, now: opts.now ?? Date.now,
  };
  try {
    const attempts = await attemptUntilDone(ctx, state, opts);
    return {
      size: staging.bytes(),
      md5: await staging.md5(),
      contentType: state.contentType,
      finalUrl: state.finalUrl,
      etag: state.validator.etag,
      lastModified: state.validator.lastModified,
      resumedFromBytes: state.resumedFromBytes,
      attempts,
      rangeRequests: state.rangeRequests,
      restarts: state.restarts,
    };
  } catch (err) {
    if (err instanceof FetchError && err.code === 'FileSizeExceeded') {
      // Nothing of an oversized source is worth keeping for a later run.
      await staging.remove().catch(() => {});
    }
    throw err;
  } finally {
    await staging.close().catch(() => {});
  }
}

/** The retry loop; returns the number of attempts made. */
async function attemptUntilDone(ctx: AttemptContext, state: TransferState, opts: FetchToFileOptions): Promise<number> {
  const { signal, limits, staging } = ctx;
  let attempts = 0;
  let failures = 0;
  let namesNotFound = 0;
  for (;;) {
    if (signal.aborted) throw cancelledError(signal);
    attempts++;
    const before = staging.bytes();
    let error: FetchError;
    try {
      const outcome: AttemptOutcome = await runAttempt(ctx, state);
      if (outcome === 'complete') return attempts;
      if (outcome === 'restart') continue; // happens at most once: ranges are off afterwards
      if (staging.bytes() > before) continue; // a shorter range than asked for: ask for the rest
      error = new FetchError('DownloadFailed.BadResponse', `${ctx.source.host} answered a range request without sending any bytes`);
    } catch (err) {
      error = signal.aborted ? cancelledError(signal) : toFetchError(err);
    }
    if (!retryInCall(error)) throw error;
    failures++;
    if (isNameNotFound(error) && ++namesNotFound > NAME_NOT_FOUND_RETRIES) throw error;
    if (failures >= limits.maxAttempts) throw gaveUp(error, failures);
    await sleepBeforeRetry(error, failures, opts, limits, signal);
  }
}

async function sleepBeforeRetry(error: FetchError, failures: number, opts: FetchToFileOptions, limits: Required<FetchLimits>, signal: AbortSignal): Promise<void> {
  let waitMs: number;
  if (error.retryAfterMs !== undefined) {
    if (error.retryAfterMs > limits.maxRetryAfterMs) {
      throw new FetchError(
        'DownloadFailed.Throttled',
        `${error.message}; it asked to retry after ${Math.ceil(error.retryAfterMs / 1000)} s, longer than the ${Math.ceil(limits.maxRetryAfterMs / 1000)} s the fetcher waits`,
        { cause: error, httpStatus: error.httpStatus, retryAfterMs: error.retryAfterMs },
      );
    }
    waitMs = error.retryAfterMs;
  } else {
    waitMs = backoffDelayMs({ strategy: 'full', baseMs: limits.retryBaseMs, capMs: limits.retryCapMs }, { attempt: failures, random: opts.random });
  }
  try {
    await (opts.sleep ?? defaultSleep)(waitMs, signal);
  } catch (err) {
    if (signal.aborted) throw cancelledError(signal);
    throw err;
  }
  if (signal.aborted) throw cancelledError(signal);
}

function toFetchError(err: unknown): FetchError {
  if (err instanceof FetchError) return err;
  // Only our own code can get here (transport errors are classified where they happen).
  return new FetchError('DownloadFailed.ConnectionReset', `The download failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}

function gaveUp(error: FetchError, attempts: number): FetchError {
  return new FetchError(error.code, `${error.message} (gave up after ${attempts} attempts)`, {
    cause: error, retryable: error.retryable, httpStatus: error.httpStatus, retryAfterMs: error.retryAfterMs,
  });
}
