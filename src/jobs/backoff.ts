// Retry delays: exponential with jitter (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/).
// Pure: the random source is a parameter.

export type BackoffStrategy = 'full' | 'decorrelated';

export interface BackoffPolicy {
  /**
   * `full`: uniform in [0, min(cap, base·2^(attempt-1))].
   * `decorrelated`: uniform in [base, 3·previous], capped; `previous` is the delay before the
   * last attempt when known, otherwise its exponential ceiling min(cap, base·2^(attempt-2)).
   */
  readonly strategy: BackoffStrategy;
  readonly baseMs: number;
  readonly capMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = Object.freeze({ strategy: 'full', baseMs: 1_000, capMs: 5 * 60_000 });

export interface BackoffInput {
  /** The attempt that just failed, 1-based. */
  readonly attempt: number;
  /** The delay that preceded `attempt`, if the caller kept it (decorrelated only). */
  readonly previousDelayMs?: number | undefined;
  /** Uniform in [0, 1); defaults to Math.random. */
  readonly random?: (() => number) | undefined;
}

/** Problems with a policy, empty when it is valid. */
export function backoffPolicyProblems(policy: BackoffPolicy): string[] {
  const problems: string[] = [];
  if (policy.strategy !== 'full' && policy.strategy !== 'decorrelated') problems.push(`backoff.strategy must be "full" or "decorrelated"`);
  if (!Number.isFinite(policy.baseMs) || policy.baseMs < 0) problems.push('backoff.baseMs must be a finite number >= 0');
  if (!Number.isFinite(policy.capMs) || policy.capMs < policy.baseMs) problems.push('backoff.capMs must be a finite number >= baseMs');
  return problems;
}

/** The exponential ceiling after `attempt` failures: min(cap, base·2^(attempt-1)), never overflowing. */
export function exponentialCeilingMs(policy: BackoffPolicy, attempt: number): number {
  const exponent = Math.max(0, Math.floor(attempt) - 1);
  // 2^1024 is Infinity; Math.min then yields the cap, which is what we want.
  return Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(exponent, 1024));
}

/** The delay before the next attempt, in whole milliseconds, within [0, capMs]. */
export function backoffDelayMs(policy: BackoffPolicy, input: BackoffInput): number {
  const random = input.random ?? Math.random;
  const r = Math.min(Math.max(random(), 0), 1);
  switch (policy.strategy) {
    case 'full':
      return Math.floor(r * exponentialCeilingMs(policy, input.attempt));
    case 'decorrelated': {
      const previous = input.previousDelayMs ?? Math.max(policy.baseMs, exponentialCeilingMs(policy, input.attempt - 1));
      const upper = Math.min(policy.capMs, Math.max(policy.baseMs, previous * 3));
      return Math.floor(policy.baseMs + r * (upper - policy.baseMs));
    }
  }
}
