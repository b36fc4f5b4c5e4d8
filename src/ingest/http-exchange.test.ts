// The exchange's watchdog measures the origin's silence, not ours: while the consumer does not
// read (backpressure), the stall clock is stopped.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { Agent } from 'undici';
import { generatedMd5, startOrigin } from '../../test/helpers/origin.js';
import { ExchangeTimeoutError, startExchange } from './http-exchange.js';

const timeouts = { connectTimeoutMs: 5000, headersTimeoutMs: 5000, stallTimeoutMs: 200 };

test('a consumer that pauses longer than the stall timeout is not a stall', async (t) => {
  const origin = await startOrigin();
  const agent = new Agent();
  t.after(async () => {
    await origin.close();
    await agent.destroy();
  });
  const size = 8 * 1024 * 1024;
  origin.serveGenerated('/v', size);
  const ex = startExchange(agent, new URL(origin.url('/v')), {}, timeouts);
  const res = await ex.response;
  assert.equal(res.statusCode, 200);
  const hash = createHash('md5');
  let seen = 0;
  let paused = false;
  for await (const chunk of res.body) {
    hash.update(chunk as Buffer);
    seen += (chunk as Buffer).length;
    if (!paused && seen > 2 * 1024 * 1024) {
      paused = true;
      await delay(4 * timeouts.stallTimeoutMs); // buffers fill, undici is paused, the clock stops
    }
  }
  assert.equal(seen, size);
  assert.equal(hash.digest('hex'), generatedMd5(size));
  assert.equal(ex.phase(), 'done');
});

test('an origin that goes silent mid-body trips the watchdog; the bytes that came are delivered', async (t) => {
  const origin = await startOrigin();
  const agent = new Agent();
  t.after(async () => {
    await origin.close();
    await agent.destroy();
  });
  origin.serveGenerated('/v', 1_000_000);
  origin.fault('/v', { kind: 'stall', afterBytes: 5000 });
  const ex = startExchange(agent, new URL(origin.url('/v')), {}, timeouts);
  const res = await ex.response;
  let got = 0;
  for await (const chunk of res.body) got += (chunk as Buffer).length;
  assert.equal(got, 5000);
  const err = ex.error();
  assert.ok(err instanceof ExchangeTimeoutError && err.phase === 'body', String(err));
});

test('a reset mid-body: the bytes before it are delivered, then error() reports the reset', async (t) => {
  const origin = await startOrigin();
  const agent = new Agent();
  t.after(async () => {
    await origin.close();
    await agent.destroy();
  });
  origin.serveGenerated('/v', 1_000_000);
  origin.fault('/v', { kind: 'reset', afterBytes: 300_000 });
  const ex = startExchange(agent, new URL(origin.url('/v')), {}, timeouts);
  const res = await ex.response;
  let got = 0;
  for await (const chunk of res.body) {
    got += (chunk as Buffer).length;
    await delay(1); // a slow consumer: data is buffered when the reset arrives
  }
  assert.equal(got, ex.bodyBytes());
  assert.ok(got > 0 && got <= 300_000);
  assert.ok(ex.error(), 'the body was cut short');
});

test('abort before the response rejects it with the reason', async (t) => {
  const origin = await startOrigin();
  const agent = new Agent();
  t.after(async () => {
    await origin.close();
    await agent.destroy();
  });
  origin.serveGenerated('/v', 1000);
  origin.fault('/v', { kind: 'stall', afterBytes: 0 });
  const ex = startExchange(agent, new URL(origin.url('/v')), {}, { ...timeouts, headersTimeoutMs: 60_000 });
  setTimeout(() => ex.abort(new Error('stop')), 50);
  await assert.rejects(ex.response, /stop/);
});
