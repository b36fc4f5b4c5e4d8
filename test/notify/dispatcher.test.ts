// The dispatcher in-process against the real store and a real loopback receiver, through the
// real SSRF-guarded agent: ordering under failures with two dispatchers racing, the retry
// horizon, and shutdown while a callback is in flight.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createGuardedAgent } from '../../src/ingest/ssrf-guard.js';
import { silentLogger } from '../../src/logger.js';
import { recordEvent } from '../../src/events/event.repository.js';
import { createCallbackPoster } from '../../src/notify/callback-sender.js';
import { listDeliveries } from '../../src/notify/delivery.repository.js';
import { createDispatcher, type DispatcherSettings } from '../../src/notify/dispatcher.js';
import { saveMessageCallback } from '../../src/notify/message-callback.repository.js';
import { openStore, type Store } from '../../src/store/db.js';
import { createTestStore } from '../helpers/store.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { waitFor } from '../helpers/server.js';

const settings: DispatcherSettings = {
  concurrency: 8, pollMs: 20, leaseMs: 5_000, timeoutMs: 1_000,
  retryDelaysMs: [50, 100], backoffBaseMs: 100, backoffCapMs: 300, retryHorizonMs: 60_000,
};

let store: Store;
let second: Store;
let cleanup: () => Promise<void>;
const agent = createGuardedAgent({ allowPrivate: true });
const receivers: Receiver[] = [];

before(async () => {
  const t = await createTestStore();
  store = t.store;
  cleanup = t.cleanup;
  // A second connection pool stands in for a second worker process.
  second = openStore({ databaseUrl: t.databaseUrl, dataDir: t.dataDir });
});
after(async () => {
  for (const r of receivers) await r.close();
  await agent.close();
  await second?.close();
  await cleanup?.();
});

async function receiver(...args: Parameters<typeof startReceiver>): Promise<Receiver> {
  const r = await startReceiver(...args);
  receivers.push(r);
  return r;
}

async function configure(appId: string, url: string): Promise<void> {
  await saveMessageCallback(store.db, { appId, callbackType: 'HTTP', callbackUrl: url, eventTypes: 'ALL', authSwitch: 'off', authKey: '' }, Date.now());
}

async function produce(appId: string, mediaIds: readonly string[], perMedia: number): Promise<Map<string, string[]>> {
  const order = new Map<string, string[]>();
  for (let i = 0; i < perMedia; i++) {
    for (const m of mediaIds) {
      const id = await store.db.transaction().execute((trx) =>
        recordEvent(trx, { appId, mediaId: m, type: 'MediaBaseChangeComplete', fields: { Status: 'success', MediaId: m, Step: i } }, Date.now()));
      order.set(m, [...(order.get(m) ?? []), id]);
    }
  }
  return order;
}

test('two dispatchers, failing first attempts: every event delivered once, in order per media', async () => {
  // Every third new event fails its first attempt with 500; retries succeed.
  const seen = new Set<string>();
  let n = 0;
  const r = await receiver({
    respond: (req) => {
      const id = req.eventId ?? '';
      if (seen.has(id)) return 200;
      seen.add(id);
      return n++ % 3 === 0 ? 500 : 200;
    },
  });
  await configure('app-race', r.url);
  const media = Array.from({ length: 12 }, (_, i) => `race-media-${i}`);
  const order = await produce('app-race', media, 5);
  const dispatchers = [store, second].map((s, i) =>
    createDispatcher({ store: s, post: createCallbackPoster(agent), settings, dispatcherId: `d${i}`, log: silentLogger() }));
  for (const d of dispatchers) d.start();
  try {
    await waitFor(() => r.delivered().length >= 60, 60_000, () => `only ${r.delivered().length} of 60 delivered`);
  } finally {
    await Promise.all(dispatchers.map((d) => d.close()));
  }
  const ok = r.delivered();
  assert.equal(ok.length, 60);
  assert.equal(new Set(ok.map((x) => x.eventId)).size, 60, 'no event answered 200 twice');
  for (const [m, ids] of order) {
    assert.deepEqual(ok.filter((x) => (x.body?.MediaId) === m).map((x) => x.eventId), ids, `order of ${m}`);
    // And no event was even attempted before its predecessor was delivered.
    for (let i = 1; i < ids.length; i++) {
      const firstTry = r.received.findIndex((x) => x.eventId === ids[i]);
      const prevDelivered = r.received.findIndex((x) => x.eventId === ids[i - 1] && x.answered === 200);
      assert.ok(prevDelivered >= 0 && firstTry > prevDelivered, `${m}: event ${i} was sent before event ${i - 1} was delivered`);
    }
  }
  const { rows } = await listDeliveries(store.db, { appId: 'app-race' }, { offset: 0, limit: 100, ascending: true });
  assert.ok(rows.every((x) => x.status === 'delivered'));
  assert.equal(rows.reduce((sum, x) => sum + x.attempts, 0), r.received.length, 'every POST is counted as an attempt');
});

test('a receiver that never answers 200: retries until the horizon, then dead; later events go ahead', async () => {
  const r = await receiver({ respond: (req) => (req.body?.Step === 0 ? 503 : 200) });
  await configure('app-dead', r.url);
  const order = await produce('app-dead', ['dead-media'], 2);
  const d = createDispatcher({ store, post: createCallbackPoster(agent), settings: { ...settings, retryHorizonMs: 700 }, dispatcherId: 'dead', log: silentLogger() });
  d.start();
  try {
    await waitFor(() => r.delivered().length === 1, 30_000, () => 'the second event was not delivered');
  } finally {
    await d.close();
  }
  const [first, secondId] = order.get('dead-media') ?? [];
  const { rows } = await listDeliveries(store.db, { mediaId: 'dead-media' }, { offset: 0, limit: 10, ascending: true });
  assert.equal(rows[0]?.event_id, first);
  assert.equal(rows[0]?.status, 'dead');
  assert.equal(rows[0]?.last_status_code, 503);
  assert.ok((rows[0]?.attempts ?? 0) >= 3, `attempts: ${rows[0]?.attempts}`);
  assert.equal(r.requestsFor(first!).length, rows[0]?.attempts);
  assert.equal(rows[1]?.status, 'delivered');
  assert.equal(r.delivered()[0]?.eventId, secondId);
  assert.ok(r.requestsFor(first!).every((x) => x.rawBody === r.requestsFor(first!)[0]?.rawBody), 'every attempt sends the same bytes');
});

test('close() while a callback hangs: aborted, handed back, and delivered by the next dispatcher', async () => {
  const r = await receiver({ respond: (_req, nth) => (nth === 0 ? 'hang' : 200) });
  await configure('app-close', r.url);
  const [id] = (await produce('app-close', ['close-media'], 1)).get('close-media') ?? [];
  const d1 = createDispatcher({
    store, post: createCallbackPoster(agent), settings: { ...settings, timeoutMs: 20_000, leaseMs: 60_000 }, dispatcherId: 'c1', log: silentLogger(), closeGraceMs: 50,
  });
  d1.start();
  await waitFor(() => r.received.length === 1, 30_000);
  await d1.close();
  const mid = (await listDeliveries(store.db, { eventIds: [id!] }, { offset: 0, limit: 1, ascending: true })).rows[0];
  assert.equal(mid?.status, 'pending');
  assert.equal(mid?.locked_by, null, 'the claim was handed back, not left to expire');
  assert.equal(mid?.attempts, 0);
  const d2 = createDispatcher({ store, post: createCallbackPoster(agent), settings, dispatcherId: 'c2', log: silentLogger() });
  d2.start();
  try {
    await waitFor(() => r.delivered().length === 1, 30_000);
  } finally {
    await d2.close();
  }
  assert.equal(r.delivered()[0]?.eventId, id);
});
