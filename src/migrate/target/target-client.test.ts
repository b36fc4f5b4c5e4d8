import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VodApiError } from '../../sdk/index.js';
import { createRateLimiter } from './rate-limiter.js';
import { createTarget, type RetryInfo, type RpcCaller } from './target-client.js';
import { classifyFailure, isFatalForRun } from './target-errors.js';

test('classification: throttling is a rejection, 5xx and lost answers are unknown, 4xx final', () => {
  assert.equal(classifyFailure(new VodApiError('Throttling.User', 'x', 400, undefined)), 'rejected');
  assert.equal(classifyFailure(new VodApiError('Throttling', 'x', 503, undefined)), 'rejected');
  assert.equal(classifyFailure(new VodApiError('ServiceUnAvailable', 'x', 503, undefined)), 'rejected');
  assert.equal(classifyFailure(new VodApiError('InternalError', 'x', 500, undefined)), 'transient');
  assert.equal(classifyFailure(new TypeError('fetch failed')), 'transient');
  assert.equal(classifyFailure(new VodApiError('InvalidParameter', 'x', 400, undefined)), 'final');
  assert.equal(isFatalForRun(new VodApiError('InvalidAccessKeyId.NotFound', 'x', 404, undefined)), true);
  assert.equal(isFatalForRun(new VodApiError('SignatureDoesNotMatch', 'x', 400, undefined)), true);
  assert.equal(isFatalForRun(new VodApiError('InvalidVideo.NotFound', 'x', 404, undefined)), false);
});

function scripted(failures: unknown[]): RpcCaller & { calls: number } {
  const r = {
    calls: 0,
    async call<T>(): Promise<T & { RequestId: string }> {
      r.calls++;
      const f = failures.shift();
      if (f !== undefined) throw f;
      return { RequestId: 'ok' } as T & { RequestId: string };
    },
  };
  return r;
}

const noWait = { sleep: async () => {}, random: () => 0.5 };
const unlimited = createRateLimiter({ rates: {}, defaultRate: Infinity });

test('retries: rejections always; unknown outcomes only when idempotent; the last error surfaces', async () => {
  const retries: RetryInfo[] = [];
  const rpc = scripted([new VodApiError('Throttling.User', 'slow', 400, undefined), new VodApiError('InternalError', 'x', 500, undefined)]);
  const t = createTarget({ rpc, limiter: unlimited, attempts: 5, backoff: { strategy: 'full', baseMs: 100, capMs: 1000 }, timeoutMs: 1000, onRetry: (r) => retries.push(r), ...noWait });
  assert.equal((await t.call('GetVideoInfo', {})).RequestId, 'ok');
  assert.equal(rpc.calls, 3);
  assert.deepEqual(retries.map((r) => [r.code, r.kind, r.delayMs]), [['Throttling.User', 'rejected', 50], ['InternalError', 'transient', 100]]);

  const once = scripted([new VodApiError('InternalError', 'x', 500, undefined)]);
  const t2 = createTarget({ rpc: once, limiter: unlimited, attempts: 5, backoff: { strategy: 'full', baseMs: 100, capMs: 1000 }, timeoutMs: 1000, ...noWait });
  await assert.rejects(t2.call('AddCategory', {}, { idempotent: false }), /InternalError/);
  assert.equal(once.calls, 1);

  const always = scripted(Array.from({ length: 10 }, () => new VodApiError('Throttling', 'x', 400, undefined)));
  const t3 = createTarget({ rpc: always, limiter: unlimited, attempts: 3, backoff: { strategy: 'full', baseMs: 1, capMs: 1 }, timeoutMs: 1000, ...noWait });
  await assert.rejects(t3.call('GetVideoInfo', {}), /Throttling/);
  assert.equal(always.calls, 3);

  const final = scripted([new VodApiError('InvalidParameter', 'x', 400, undefined)]);
  const t4 = createTarget({ rpc: final, limiter: unlimited, attempts: 3, backoff: { strategy: 'full', baseMs: 1, capMs: 1 }, timeoutMs: 1000, ...noWait });
  await assert.rejects(t4.call('GetVideoInfo', {}), /InvalidParameter/);
  assert.equal(final.calls, 1);
});

test('rate limiter: a second\'s worth of burst, then waits that add up to the rate; per operation', async () => {
  let t = 0;
  const waits: number[] = [];
  const limiter = createRateLimiter({
    rates: { A: 2 }, defaultRate: 10, now: () => t,
    sleep: async (ms) => {
      waits.push(ms);
    },
  });
  for (let i = 0; i < 5; i++) await limiter.acquire('A');
  assert.deepEqual(waits, [500, 1000, 1500]);
  t = 10_000;
  waits.length = 0;
  await limiter.acquire('A');
  assert.deepEqual(waits, []);
  for (let i = 0; i < 10; i++) await limiter.acquire('B');
  assert.deepEqual(waits, []);
  assert.equal(limiter.rateOf('B'), 10);
});

test('rate limiter: an aborted wait gives its token back', async () => {
  const limiter = createRateLimiter({ rates: { A: 1 }, defaultRate: 1, now: () => 0, sleep: async () => Promise.reject(new Error('aborted')) });
  await limiter.acquire('A');
  await assert.rejects(limiter.acquire('A'), /aborted/);
  await assert.rejects(limiter.acquire('A'), /aborted/);
});
