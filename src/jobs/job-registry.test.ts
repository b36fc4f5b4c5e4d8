import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { JOB_CATALOG, JOB_KINDS, type JobKind } from './job-catalog.js';
import { type JobLogger, silentJobLogger } from './job-logger.js';
import { type AnyJobHandler, createJobRegistry, defineJobHandler, type JobContext } from './job-registry.js';
import { JobPayloadError, JobRegistryError } from './job.errors.js';

const sleepHandler = defineJobHandler('test.sleep', async () => ({ kind: 'done' }));

const ctx = (): JobContext => ({
  jobId: 'j1',
  kind: 'test.sleep',
  attempt: 1,
  maxAttempts: 3,
  signal: new AbortController().signal,
  heartbeat: async () => undefined,
  log: silentJobLogger,
});

test('the catalog lists every kind with a spec', () => {
  assert.ok(JOB_KINDS.includes('test.sleep'));
  for (const kind of JOB_KINDS) {
    assert.ok(JOB_CATALOG[kind].maxAttempts >= 1, kind);
    assert.ok(JOB_CATALOG[kind].description.length > 0, kind);
  }
});

test('start-up fails when a served kind has no handler', () => {
  assert.throws(
    () => createJobRegistry([]),
    (err: unknown) => err instanceof JobRegistryError && err.problems.some((p) => p.includes('"test.sleep" has no handler')),
  );
});

test('start-up fails when a kind has two handlers', () => {
  assert.throws(
    () => createJobRegistry([sleepHandler, defineJobHandler('test.sleep', async () => ({ kind: 'done' }))], { kinds: ['test.sleep'] }),
    (err: unknown) => err instanceof JobRegistryError && err.problems.some((p) => p.includes('"test.sleep" has 2 handlers')),
  );
});

test('start-up fails on kinds outside the catalog, reporting every problem at once', () => {
  const stray = { ...sleepHandler, kind: 'nope.kind' } as unknown as AnyJobHandler;
  assert.throws(
    () => createJobRegistry([stray], { kinds: ['also.nope' as JobKind] }),
    (err: unknown) =>
      err instanceof JobRegistryError &&
      err.problems.some((p) => p.includes('"also.nope" is not in the job catalog')) &&
      err.problems.some((p) => p.includes('unknown kind "nope.kind"')) &&
      err.problems.some((p) => p.includes('"also.nope" has no handler')),
  );
});

test('a registry for a subset of kinds serves only those', () => {
  const registry = createJobRegistry([sleepHandler], { kinds: ['test.sleep'] });
  assert.deepEqual(registry.kinds, ['test.sleep']);
  assert.equal(registry.spec('test.sleep'), JOB_CATALOG['test.sleep']);
});

test('run validates the payload against the catalog before calling the handler', async () => {
  let seen: unknown;
  const registry = createJobRegistry(
    [
      defineJobHandler('test.sleep', async (payload) => {
        seen = payload;
        return { kind: 'done' };
      }),
    ],
    { kinds: ['test.sleep'] },
  );
  assert.deepEqual(await registry.run('test.sleep', { ms: 5, marker: 'm' }, ctx()), { kind: 'done' });
  assert.deepEqual(seen, { ms: 5, marker: 'm' });
  await assert.rejects(registry.run('test.sleep', { ms: 'soon' }, ctx()), JobPayloadError);
});

test('a pino logger is a JobLogger', () => {
  const logger: JobLogger = pino({ level: 'silent' });
  logger.child({ jobId: 'x' }).info({ kind: 'test.sleep' }, 'typed');
});
