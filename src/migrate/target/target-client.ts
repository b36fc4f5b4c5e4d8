// The target VOD endpoint as the migrator calls it: each RPC waits for its operation's rate
// limit, and failures are sent again with exponential backoff and full jitter — definite
// rejections (Throttling …) always, server errors and lost answers only for calls the caller
// marks idempotent. Silent: retries are reported through `onRetry`.
import { setTimeout as sleepMs } from 'node:timers/promises';
import type { RpcParams } from '../../sdk/index.js';
import { backoffDelayMs, type BackoffPolicy } from '../../jobs/backoff.js';
import type { RateLimiter } from './rate-limiter.js';
import { classifyFailure, errorCodeOf, type FailureKind } from './target-errors.js';

/** The part of VodRpcClient the target needs. */
export interface RpcCaller {
  call<T = Record<string, unknown>>(action: string, params?: RpcParams, opts?: { signal?: AbortSignal }): Promise<T & { RequestId: string }>;
}

export interface RetryInfo {
  readonly action: string;
  readonly attempt: number;
  readonly delayMs: number;
  readonly code: string;
  readonly kind: FailureKind;
}

export interface TargetOptions {
  readonly rpc: RpcCaller;
  readonly limiter: RateLimiter;
  /** Attempts per call, the first included. */
  readonly attempts: number;
  readonly backoff: BackoffPolicy;
  /** Per-request timeout. */
  readonly timeoutMs: number;
  readonly onRetry?: (info: RetryInfo) => void;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly random?: () => number;
}

export interface TargetCallOptions {
  /** Send again after a server error or a lost answer (only for calls that are safe to repeat). Default true. */
  readonly idempotent?: boolean;
  readonly signal?: AbortSignal | undefined;
}

export interface Target {
  call<T = Record<string, unknown>>(action: string, params: RpcParams, opts?: TargetCallOptions): Promise<T & { RequestId: string }>;
  /** Waits for a token of `action` (for calls the SDK makes itself, e.g. CreateUploadVideo). */
  throttle(action: string, signal?: AbortSignal): Promise<void>;
}

export function createTarget(o: TargetOptions): Target {
  const sleep = o.sleep ?? ((ms: number, signal?: AbortSignal) => sleepMs(ms, undefined, { signal }));
  return {
    throttle: (action, signal) => o.limiter.acquire(action, signal),
    async call<T>(action: string, params: RpcParams, opts: TargetCallOptions = {}) {
      const idempotent = opts.idempotent ?? true;
      for (let attempt = 1; ; attempt++) {
        await o.limiter.acquire(action, opts.signal);
        const timeout = AbortSignal.timeout(o.timeoutMs);
        const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
        try {
          return await o.rpc.call<T>(action, params, { signal });
        } catch (e) {
          opts.signal?.throwIfAborted();
          const kind = classifyFailure(e);
          const retry = kind === 'rejected' || (kind === 'transient' && idempotent);
          if (!retry || attempt >= o.attempts) throw e;
          const delayMs = backoffDelayMs(o.backoff, { attempt, random: o.random });
          o.onRetry?.({ action, attempt, delayMs, code: errorCodeOf(e), kind });
          await sleep(delayMs, opts.signal);
        }
      }
    },
  };
}
