import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHostLimiter, HostLimiterConfigError, hostKey } from './host-limiter.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

test('hostKey: lower-cased host and explicit port', () => {
  assert.equal(hostKey(new URL('http://Media.Example.com/x')), 'media.example.com:80');
  assert.equal(hostKey(new URL('https://media.example.com/x')), 'media.example.com:443');
  assert.equal(hostKey(new URL('http://media.example.com:8080/x')), 'media.example.com:8080');
  assert.equal(hostKey(new URL('http://[::1]:81/')), '[::1]:81');
});

test('per-host cap: the third acquire for a host waits until a slot is released', async () => {
  const limiter = createHostLimiter({ perHost: 2, global: 10 });
  const a = await limiter.acquire('h:80');
  await limiter.acquire('h:80');
  let third = false;
  const p = limiter.acquire('h:80').then((release) => {
    third = true;
    return release;
  });
  await tick();
  assert.equal(third, false);
  assert.equal(limiter.waiting(), 1);
  // Another host is not held up by the full one.
  const other = await limiter.acquire('other:80');
  a();
  a(); // idempotent: releasing twice frees one slot only
  (await p)();
  assert.equal(third, true);
  other();
  assert.equal(limiter.active().perHost.get('h:80'), 1);
});

test('global cap across hosts, served in arrival order', async () => {
  const limiter = createHostLimiter({ perHost: 5, global: 2 });
  const r1 = await limiter.acquire('a:80');
  await limiter.acquire('b:80');
  const order: string[] = [];
  const w1 = limiter.acquire('c:80').then((r) => (order.push('c'), r));
  const w2 = limiter.acquire('d:80').then((r) => (order.push('d'), r));
  await tick();
  assert.deepEqual(order, []);
  r1();
  await w1;
  assert.deepEqual(order, ['c']);
  (await w1)();
  await w2;
  assert.deepEqual(order, ['c', 'd']);
  assert.equal(limiter.active().total, 2);
});

test('an aborted wait leaves the queue and rejects with the reason', async () => {
  const limiter = createHostLimiter({ perHost: 1, global: 1 });
  const release = await limiter.acquire('h:80');
  const ac = new AbortController();
  const p = limiter.acquire('h:80', ac.signal);
  ac.abort(new Error('stop'));
  await assert.rejects(p, /stop/);
  assert.equal(limiter.waiting(), 0);
  release();
  assert.equal(limiter.active().total, 0);
  await assert.rejects(limiter.acquire('h:80', AbortSignal.abort()));
});

test('invalid options are reported together', () => {
  assert.throws(() => createHostLimiter({ perHost: 0, global: 1.5 }), (err: unknown) => err instanceof HostLimiterConfigError && /perHost/.test(err.message) && /global/.test(err.message));
});
