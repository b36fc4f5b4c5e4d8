// Requests per second per operation: one token bucket per RPC action, holding at most one
// second's worth of tokens (at least one). Waiters reserve their token when they arrive, so they
// are served in order; an aborted waiter gives its token back. Clock and sleep are injected.
import { setTimeout as sleepMs } from 'node:timers/promises';

export interface RateLimiter {
  /** Waits until `op` may be called once more. Rejects with the signal's reason if it aborts first. */
  acquire(op: string, signal?: AbortSignal): Promise<void>;
  /** The rate in force for `op` (requests per second). */
  rateOf(op: string): number;
}

export interface RateLimiterOptions {
  /** Requests per second by operation. */
  readonly rates: Readonly<Record<string, number>>;
  /** For operations not in `rates`. */
  readonly defaultRate: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

interface Bucket {
  readonly rate: number;
  readonly capacity: number;
  tokens: number;
  lastMs: number;
}

export function createRateLimiter(o: RateLimiterOptions): RateLimiter {
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? ((ms: number, signal?: AbortSignal) => sleepMs(ms, undefined, { signal }));
  const buckets = new Map<string, Bucket>();
  const rateOf = (op: string): number => o.rates[op] ?? o.defaultRate;

  const bucket = (op: string): Bucket => {
    let b = buckets.get(op);
    if (!b) {
      const rate = rateOf(op);
      const capacity = Math.max(1, rate);
      b = { rate, capacity, tokens: capacity, lastMs: now() };
      buckets.set(op, b);
    }
    return b;
  };

  return {
    rateOf,
    async acquire(op, signal) {
      signal?.throwIfAborted();
      const b = bucket(op);
      if (!Number.isFinite(b.rate)) return;
      const t = now();
      b.tokens = Math.min(b.capacity, b.tokens + ((t - b.lastMs) / 1000) * b.rate);
      b.lastMs = t;
      b.tokens -= 1;
      if (b.tokens >= 0) return;
      try {
        await sleep(Math.ceil((-b.tokens / b.rate) * 1000), signal);
      } catch (e) {
        b.tokens += 1;
        throw e;
      }
    },
  };
}
