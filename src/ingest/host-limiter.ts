// Per-source-host concurrency, plus a global cap: an async semaphore keyed by `host:port`.
// Waiters are served in arrival order, skipping those whose host is still full (so one busy host
// does not hold up the others). The fetcher holds a slot only while a request/transfer is in
// flight, never while it sleeps before a retry.

export interface HostLimiterOptions {
  /** Concurrent transfers to one host:port. */
  readonly perHost: number;
  /** Concurrent transfers in total. */
  readonly global: number;
}

export type ReleaseSlot = () => void;

export interface HostLimiter {
  /**
   * Waits for a slot for `host` (use `hostKey`). Resolves to an idempotent release function;
   * rejects with the signal's reason (an Error) if `signal` aborts first.
   */
  acquire(host: string, signal?: AbortSignal): Promise<ReleaseSlot>;
  /** Slots in use: per host and in total (for metrics and tests). */
  active(): { readonly total: number; readonly perHost: ReadonlyMap<string, number> };
  /** Acquires still waiting. */
  waiting(): number;
}

/** The limiter key of a URL: lower-cased host and explicit port (default port filled in). */
export function hostKey(url: URL): string {
  const port = url.port !== '' ? url.port : url.protocol === 'https:' ? '443' : '80';
  return `${url.hostname.toLowerCase()}:${port}`;
}

interface Waiter {
  readonly host: string;
  readonly grant: () => void;
}

export class HostLimiterConfigError extends Error {
  readonly code = 'HostLimiterConfig';
  constructor(message: string) {
    super(message);
    this.name = 'HostLimiterConfigError';
  }
}

export function createHostLimiter(options: HostLimiterOptions): HostLimiter {
  const problems: string[] = [];
  if (!Number.isInteger(options.perHost) || options.perHost < 1) problems.push('perHost must be an integer >= 1');
  if (!Number.isInteger(options.global) || options.global < 1) problems.push('global must be an integer >= 1');
  if (problems.length > 0) throw new HostLimiterConfigError(`invalid host limiter options: ${problems.join('; ')}`);

  const perHost = new Map<string, number>();
  let total = 0;
  const queue: Waiter[] = [];

  const fits = (host: string): boolean => total < options.global && (perHost.get(host) ?? 0) < options.perHost;
  const take = (host: string): ReleaseSlot => {
    total++;
    perHost.set(host, (perHost.get(host) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      total--;
      const n = (perHost.get(host) ?? 1) - 1;
      if (n === 0) perHost.delete(host);
      else perHost.set(host, n);
      pump();
    };
  };
  const pump = (): void => {
    for (let i = 0; i < queue.length && total < options.global; ) {
      const w = queue[i]!;
      if (fits(w.host)) {
        queue.splice(i, 1);
        w.grant();
      } else i++;
    }
  };
  const abortReason = (signal: AbortSignal): Error =>
    signal.reason instanceof Error ? signal.reason : new Error('The operation was aborted', { cause: signal.reason });

  return {
    acquire(host, signal) {
      if (signal?.aborted) return Promise.reject(abortReason(signal));
      // Waiters that still queue are all blocked by their host or the global cap, so a request
      // that fits now does not overtake anyone who could have run.
      if (fits(host)) return Promise.resolve(take(host));
      return new Promise<ReleaseSlot>((resolve, reject) => {
        const onAbort = (): void => {
          const i = queue.indexOf(waiter);
          if (i >= 0) queue.splice(i, 1);
          reject(abortReason(signal!));
        };
        const waiter: Waiter = {
          host,
          grant: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve(take(host));
          },
        };
        queue.push(waiter);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
    active: () => ({ total, perHost: new Map(perHost) }),
    waiting: () => queue.length,
  };
}
