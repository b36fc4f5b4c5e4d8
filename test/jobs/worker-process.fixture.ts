// A worker process for the process-level tests (worker-process.test.ts). Configured through the
// environment; runs `test.sleep` jobs whose handler records each run in `job_runs`:
// a row when it starts (job_id, worker, attempt, started_ms) and `ended_ms` when it completes.
// Prints "ready" once polling; on SIGTERM closes the worker and the store and exits 0.
import { sql } from 'kysely';
import { setTimeout as sleep } from 'node:timers/promises';
import { openStore } from '../../src/store/db.js';
import { createWorker } from '../../src/jobs/worker.js';
import type { JobLogger, LogFields } from '../../src/jobs/job-logger.js';
import { testRegistry } from './job-test-kit.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`fixture needs ${name}`);
  return value;
};

const workerId = env('FIXTURE_WORKER_ID');
const store = openStore({ databaseUrl: process.env.FIXTURE_DATABASE_URL || undefined, dataDir: env('FIXTURE_DATA_DIR'), poolSize: 12 });

// Warnings and errors to stderr as JSON lines (the parent shows them if a test fails).
const stderrLogger = (bindings: LogFields): JobLogger => {
  const write =
    (level: string) =>
    (first: LogFields | string, message?: string): void => {
      if (level === 'debug' || level === 'info') return;
      const fields = typeof first === 'string' ? {} : first;
      const msg = typeof first === 'string' ? first : message;
      process.stderr.write(`${JSON.stringify({ level, ...bindings, ...fields, err: fields.err === undefined ? undefined : String(fields.err), msg })}\n`);
    };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error'), child: (more) => stderrLogger({ ...bindings, ...more }) };
};

const worker = createWorker({
  store,
  registry: testRegistry(async (payload, ctx) => {
    const started = Date.now();
    await sql`insert into job_runs (job_id, worker, attempt, started_ms) values (${ctx.jobId}, ${workerId}, ${ctx.attempt}, ${started})`.execute(store.db);
    await sleep(payload.ms, undefined, { signal: ctx.signal });
    await sql`update job_runs set ended_ms = ${Date.now()} where job_id = ${ctx.jobId} and worker = ${workerId} and attempt = ${ctx.attempt}`.execute(store.db);
    return { kind: 'done' };
  }),
  workerId,
  concurrency: Number(env('FIXTURE_CONCURRENCY')),
  leaseMs: Number(env('FIXTURE_LEASE_MS')),
  heartbeatMs: Number(env('FIXTURE_HEARTBEAT_MS')),
  pollMs: Number(env('FIXTURE_POLL_MS')),
  log: stderrLogger({ workerId }),
});

process.once('SIGTERM', () => {
  void (async () => {
    let code = 0;
    try {
      await worker.close();
    } catch (err) {
      process.stderr.write(`close failed: ${String(err)}\n`);
      code = 1;
    }
    await store.close();
    process.exit(code);
  })();
});

worker.start();
process.stdout.write('ready\n');
