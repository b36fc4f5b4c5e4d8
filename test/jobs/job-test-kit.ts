// Shared bits of the job-queue tests: polling waits (no timed assertions), a capturing logger,
// and a registry for the test kind.
import { setTimeout as sleep } from 'node:timers/promises';
import type { JobLogger, LogFields } from '../../src/jobs/job-logger.js';
import { createJobRegistry, defineJobHandler, type JobContext, type JobOutcome, type JobRegistry } from '../../src/jobs/job-registry.js';
import type { JobPayloads } from '../../src/jobs/job-catalog.js';

/** Polls `probe` until it returns something other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  { timeoutMs = 20_000, intervalMs = 25 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  fields: LogFields;
  message: string | undefined;
}

/** A logger that keeps every line with its merged bindings. */
export function captureLogger(entries: LogEntry[] = [], bindings: LogFields = {}): JobLogger & { entries: LogEntry[] } {
  const method =
    (level: LogEntry['level']) =>
    (first: LogFields | string, message?: string): void => {
      if (typeof first === 'string') entries.push({ level, fields: { ...bindings }, message: first });
      else entries.push({ level, fields: { ...bindings, ...first }, message });
    };
  return {
    entries,
    debug: method('debug'),
    info: method('info'),
    warn: method('warn'),
    error: method('error'),
    child: (more: LogFields) => captureLogger(entries, { ...bindings, ...more }),
  };
}

export type SleepHandler = (payload: JobPayloads['test.sleep'], ctx: JobContext) => Promise<JobOutcome>;

/** A registry serving only the test kind, whatever else the catalog holds. */
export function testRegistry(handle: SleepHandler): JobRegistry {
  return createJobRegistry([defineJobHandler('test.sleep', handle)], { kinds: ['test.sleep'] });
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return sleep(ms, undefined, { signal }).catch((err: unknown) => {
    throw signal.aborted ? signal.reason : err;
  });
}
