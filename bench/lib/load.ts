// Closed-loop load: `connections` workers over one undici Pool, each sending its next request as
// soon as the previous answer is read, until the window closes. Requests already in flight when
// it closes are awaited and counted; the window's length is measured to the last answer.
// `signal` only stops the loop: to cut requests in flight, destroy the pool.
import { Pool } from 'undici';
import { LatencyReservoir } from './latency.js';

export interface Target {
  readonly name: string;
  readonly origin: string;
  /** Path (with query) of the next request; called once per request. */
  nextPath(): string;
  /** Undefined when the answer is right, else why it is not. */
  check(status: number, body: string): string | undefined;
}

export interface WindowResult {
  target: string;
  ok: number;
  errors: number;
  /** The first few error reasons, for the report. */
  errorSamples: string[];
  elapsedMs: number;
  latency: LatencyReservoir;
}

const MAX_ERROR_SAMPLES = 5;
const REQUEST_TIMEOUT_MS = 10_000;

export function openPool(origin: string, connections: number): Pool {
  return new Pool(origin, {
    connections,
    pipelining: 1,
    keepAliveTimeout: 60_000,
    headersTimeout: REQUEST_TIMEOUT_MS,
    bodyTimeout: REQUEST_TIMEOUT_MS,
  });
}

export async function runWindow(pool: Pool, target: Target, connections: number, durationMs: number, signal: AbortSignal): Promise<WindowResult> {
  const result: WindowResult = { target: target.name, ok: 0, errors: 0, errorSamples: [], elapsedMs: 0, latency: new LatencyReservoir() };
  const fail = (reason: string): void => {
    result.errors++;
    if (result.errorSamples.length < MAX_ERROR_SAMPLES) result.errorSamples.push(reason);
  };
  const startedAt = performance.now();
  const endAt = startedAt + durationMs;

  const worker = async (): Promise<void> => {
    while (performance.now() < endAt && !signal.aborted) {
      const path = target.nextPath();
      const sentAt = performance.now();
      try {
        const res = await pool.request({ method: 'GET', path });
        const body = await res.body.text();
        const problem = target.check(res.statusCode, body);
        if (problem === undefined) {
          result.ok++;
          result.latency.record(performance.now() - sentAt);
        } else {
          fail(problem);
        }
      } catch (err) {
        if (!signal.aborted) fail(`request failed: ${(err as Error).message}`);
      }
    }
  };

  await Promise.all(Array.from({ length: connections }, worker));
  result.elapsedMs = performance.now() - startedAt;
  return result;
}

export const requestsPerSecond = (r: Pick<WindowResult, 'ok' | 'elapsedMs'>): number => (r.elapsedMs > 0 ? (r.ok * 1000) / r.elapsedMs : 0);
