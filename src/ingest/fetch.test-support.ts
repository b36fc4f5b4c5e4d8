// Shared set-up for the fetcher tests: a loopback origin, a guarded agent, a host limiter, a temp
// dir, and a `fetch` that records the backoff sleeps instead of sleeping them.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { Agent } from 'undici';
import { type Origin, type OriginOptions, startOrigin } from '../../test/helpers/origin.js';
import { FetchError } from './fetch-errors.js';
import { type FetchLimits, type FetchResult, fetchToFile, type FetchToFileOptions } from './fetcher.js';
import { createHostLimiter, type HostLimiter } from './host-limiter.js';
import { createGuardedAgent, type GuardedAgentOptions } from './ssrf-guard.js';

export const TEST_LIMITS: FetchLimits = {
  maxBytes: 1024 ** 3,
  stallTimeoutMs: 5_000,
  maxRedirects: 5,
  maxAttempts: 5,
  retryBaseMs: 1,
  retryCapMs: 10,
  connectTimeoutMs: 5_000,
  headersTimeoutMs: 5_000,
};

export type FetchOverrides = Partial<Omit<FetchToFileOptions, 'limits'>> & { limits?: Partial<FetchLimits> };

export interface Kit {
  readonly origin: Origin;
  readonly agent: Agent;
  readonly hostLimiter: HostLimiter;
  readonly dir: string;
  /** Backoff/Retry-After waits the fetcher asked for (they are not actually slept). */
  readonly sleeps: number[];
  file(name?: string): string;
  fetch(path: string, overrides?: FetchOverrides): Promise<FetchResult>;
  /** Runs `fetch` and returns the FetchError it must fail with. */
  fail(path: string, overrides?: FetchOverrides): Promise<FetchError>;
}

export interface KitOptions {
  readonly origin?: OriginOptions;
  readonly agent?: Partial<GuardedAgentOptions>;
  readonly perHost?: number;
}

export async function setupKit(t: TestContext, options: KitOptions = {}): Promise<Kit> {
  const origin = await startOrigin(options.origin);
  const agent = createGuardedAgent({ allowPrivate: true, ...options.agent });
  const hostLimiter = createHostLimiter({ perHost: options.perHost ?? 8, global: 64 });
  const dir = await mkdtemp(join(tmpdir(), 'openvod-ingest-'));
  t.after(async () => {
    await origin.close();
    await agent.destroy();
    await rm(dir, { recursive: true, force: true });
  });
  const sleeps: number[] = [];
  const file = (name = 'staging.bin'): string => join(dir, name);
  const fetch: Kit['fetch'] = (path, overrides = {}) => {
    const { limits, ...rest } = overrides;
    return fetchToFile({
      url: path.startsWith('http') ? path : origin.url(path),
      file: file(),
      signal: new AbortController().signal,
      agent,
      hostLimiter,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      random: () => 0.5,
      ...rest,
      limits: { ...TEST_LIMITS, ...limits },
    });
  };
  const fail: Kit['fail'] = async (path, overrides) => {
    try {
      const r = await fetch(path, overrides);
      throw new Error(`expected the fetch to fail, it returned ${JSON.stringify(r)}`);
    } catch (err) {
      if (err instanceof FetchError) return err;
      throw err;
    }
  };
  return { origin, agent, hostLimiter, dir, sleeps, file, fetch, fail };
}
