// Limits of one `fetchToFile` call. Units are in the names; durations are about silence
// (stall, connect, headers), never a total: a 20 GB source may take hours and that is fine.

export interface FetchLimits {
  /** Largest source accepted, in bytes (default 20 GB). */
  maxBytes: number;
  /** No body bytes for this long = a stall; the attempt is aborted and retried (default 60 s). */
  stallTimeoutMs: number;
  /** Redirect hops followed per attempt (default 5). */
  maxRedirects: number;
  /** Network-level attempts within one call, the first included (default 5). */
  maxAttempts: number;
  /** Backoff between attempts: full jitter in [0, min(retryCapMs, retryBaseMs·2^(n-1))]. */
  retryBaseMs: number;
  retryCapMs: number;
  /** From dispatch until the request is on a connected socket (TCP + TLS). */
  connectTimeoutMs: number;
  /** From the request being sent until the response headers arrive. */
  headersTimeoutMs: number;
  /** Longest `Retry-After` honoured; an origin asking for more fails with `Throttled` (default 5 min). */
  maxRetryAfterMs?: number;
}

export const DEFAULT_FETCH_LIMITS: Readonly<Required<FetchLimits>> = Object.freeze({
  maxBytes: 20 * 1024 ** 3,
  stallTimeoutMs: 60_000,
  maxRedirects: 5,
  maxAttempts: 5,
  retryBaseMs: 1_000,
  retryCapMs: 60_000,
  connectTimeoutMs: 10_000,
  headersTimeoutMs: 60_000,
  maxRetryAfterMs: 5 * 60_000,
});

/** Problems with a set of limits, empty when valid (every problem reported at once). */
export function fetchLimitsProblems(limits: FetchLimits): string[] {
  const problems: string[] = [];
  const positive = (name: keyof FetchLimits, min: number): void => {
    const v = limits[name];
    if (v === undefined) return;
    if (!Number.isFinite(v) || v < min) problems.push(`${name} must be a finite number >= ${min}`);
  };
  positive('maxBytes', 0);
  positive('stallTimeoutMs', 1);
  positive('maxRedirects', 0);
  positive('maxAttempts', 1);
  positive('retryBaseMs', 0);
  positive('retryCapMs', 0);
  positive('connectTimeoutMs', 1);
  positive('headersTimeoutMs', 1);
  positive('maxRetryAfterMs', 0);
  return problems;
}

/** Invalid limits passed to `fetchToFile` (a programming/config error, not a fetch failure). */
export class FetchLimitsError extends Error {
  readonly code = 'InvalidFetchLimits';
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`invalid fetch limits: ${problems.join('; ')}`);
    this.name = 'FetchLimitsError';
    this.problems = problems;
  }
}
