// When a failed delivery is tried again. ApsaraVideo tries three times about a second apart and
// then drops the event; OpenVOD starts the same way — the first retries within seconds — then
// backs off exponentially until a horizon (a day by default) and only then gives up (`dead`,
// visible in the delivery log and redeliverable). Pure: the clock and the random source are inputs.

export interface RetryPolicy {
  /** The first retries, after the 1st, 2nd … failure (e.g. 1 s, 2 s, 5 s). */
  readonly retryDelaysMs: readonly number[];
  /** After those: base·2^k, capped, with jitter in [½, 1] of it. */
  readonly backoffBaseMs: number;
  readonly backoffCapMs: number;
  /** No attempt later than this long after the delivery was scheduled; then it is `dead`. */
  readonly retryHorizonMs: number;
}

export type RetryDecision = { readonly kind: 'retry'; readonly atMs: number } | { readonly kind: 'dead' };

/** The delay after the `failures`-th failed attempt (1-based), before the horizon is applied. */
export function retryDelayMs(policy: RetryPolicy, failures: number, random: () => number = Math.random): number {
  const early = policy.retryDelaysMs;
  if (failures <= early.length) return early[Math.max(0, failures - 1)] ?? 0;
  const exponent = Math.min(failures - early.length - 1, 1024);
  const ceiling = Math.min(policy.backoffCapMs, policy.backoffBaseMs * 2 ** exponent);
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.floor(ceiling / 2 + (r * ceiling) / 2);
}

/**
 * After a failed attempt: retry at now + delay, but never past the horizon — the last attempt
 * lands exactly on it — and `dead` once the horizon has been reached.
 */
export function nextRetry(
  policy: RetryPolicy,
  input: { failures: number; scheduledAtMs: number; nowMs: number; random?: () => number },
): RetryDecision {
  const deadline = input.scheduledAtMs + policy.retryHorizonMs;
  if (input.nowMs >= deadline) return { kind: 'dead' };
  const at = input.nowMs + retryDelayMs(policy, input.failures, input.random);
  return { kind: 'retry', atMs: Math.min(at, deadline) };
}

/** Problems with a policy, empty when it is valid. */
export function retryPolicyProblems(policy: RetryPolicy): string[] {
  const problems: string[] = [];
  if (policy.retryDelaysMs.some((d) => !Number.isInteger(d) || d < 0)) problems.push('retryDelaysMs must be integers >= 0');
  if (!(policy.backoffBaseMs > 0)) problems.push('backoffBaseMs must be > 0');
  if (!(policy.backoffCapMs >= policy.backoffBaseMs)) problems.push('backoffCapMs must be >= backoffBaseMs');
  if (!(policy.retryHorizonMs > 0)) problems.push('retryHorizonMs must be > 0');
  return problems;
}
