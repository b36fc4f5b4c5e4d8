// Crashes and concurrency with real server processes: a process SIGKILLed after the state change
// and before any delivery, or in the middle of one, delivers after a restart; two processes
// sharing the store deliver every event to a healthy receiver exactly once, in order per video.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { openStore, type Store } from '../../src/store/db.js';
import { seedVideo } from '../helpers/seed.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { createTestDatabase, type TestDatabase } from '../helpers/store.js';
import type { TestServer } from '../helpers/server.js';
import { clientFor, deliveries, startNotifyServer, waitFor, waitForDeliveries } from './notify-test-kit.js';

const dbs: TestDatabase[] = [];
const servers: TestServer[] = [];
const stores: Store[] = [];
const receivers: Receiver[] = [];

after(async () => {
  for (const r of receivers) await r.close();
  for (const s of stores) await s.close();
  for (const s of servers) await s.cleanup();
  for (const d of dbs) await d.cleanup();
});

async function database(): Promise<{ db: TestDatabase; store: Store }> {
  const db = await createTestDatabase();
  dbs.push(db);
  return { db, store: openStore({ databaseUrl: db.databaseUrl, dataDir: db.dataDir }) };
}

async function serve(db: TestDatabase, opts: Parameters<typeof startNotifyServer>[0] = {}): Promise<TestServer> {
  const s = await startNotifyServer({ db, ...opts });
  servers.push(s);
  return s;
}

async function receiver(...args: Parameters<typeof startReceiver>): Promise<Receiver> {
  const r = await startReceiver(...args);
  receivers.push(r);
  return r;
}

test('SIGKILL after the state change, before any delivery: delivered after restart, once, in order', async () => {
  const { db, store } = await database();
  stores.push(store);
  const r = await receiver();
  // An api-only process commits the changes and their events; nothing in it delivers.
  const api = await serve(db, { role: 'api' });
  const vod = clientFor(api);
  await vod.call('SetMessageCallback', { CallbackURL: r.url });
  const v = await seedVideo(store.db);
  for (const t of ['one', 'two', 'three']) await vod.call('UpdateVideoInfo', { VideoId: v.video_id, Title: t });
  const pending = await deliveries(vod, { VideoId: v.video_id });
  assert.deepEqual(pending.map((d) => [d.Status, d.Attempts]), [['pending', 0], ['pending', 0], ['pending', 0]]);
  await api.kill('SIGKILL');
  assert.equal(r.received.length, 0);

  const full = await serve(db);
  const done = await waitForDeliveries(clientFor(full), { VideoId: v.video_id }, 3);
  assert.deepEqual(r.received.map((x) => x.eventId), done.map((d) => d.EventId), 'each once, in order');
  assert.deepEqual(r.received.map((x) => (JSON.parse(String((x.body?.MediaContent as Record<string, string>).Title)) as { NewValue: string }).NewValue), ['one', 'two', 'three']);
});

test('SIGKILL while a callback is in flight: the claim expires and the event is delivered after restart', async () => {
  const { db, store } = await database();
  stores.push(store);
  const r = await receiver({ respond: (_req, nth) => (nth === 0 ? 'hang' : 200) });
  const timings = { pollMs: 50, leaseMs: 2_500, timeoutMs: 2_000, retryDelaysMs: [100], backoffBaseMs: 200, backoffCapMs: 500, retryHorizonMs: 300_000 };
  const first = await serve(db, { timings });
  const vod = clientFor(first);
  await vod.call('SetMessageCallback', { CallbackURL: r.url });
  const v = await seedVideo(store.db);
  await vod.call('UpdateVideoInfo', { VideoId: v.video_id, Title: 'in flight' });
  await waitFor(() => r.received.length === 1, 30_000);
  await first.kill('SIGKILL');

  const second = await serve(db, { timings });
  const [d] = await waitForDeliveries(clientFor(second), { VideoId: v.video_id }, 1);
  assert.equal(r.delivered().length, 1);
  assert.equal(r.delivered()[0]?.eventId, d?.EventId);
  assert.equal(r.received[0]?.eventId, d?.EventId, 'the hung request was the same event');
});

test('two processes, a healthy receiver, many events: every event exactly once, in order per video', async () => {
  const { db, store } = await database();
  stores.push(store);
  const r = await receiver();
  const a = await serve(db);
  const b = await serve(db);
  const vodA = clientFor(a);
  const vodB = clientFor(b);
  await vodA.call('SetMessageCallback', { CallbackURL: r.url, AuthSwitch: 'on', AuthKey: 'Twice123Never' });
  const videos = await Promise.all(Array.from({ length: 10 }, (_, i) => seedVideo(store.db, { title: `v${i}` })));
  await Promise.all(videos.map(async (v, i) => {
    const vod = i % 2 === 0 ? vodA : vodB;
    for (let step = 0; step < 5; step++) await vod.call('UpdateVideoInfo', { VideoId: v.video_id, Title: `v${i} step ${step}` });
  }));
  await vodB.call('DeleteVideo', { VideoIds: videos.map((v) => v.video_id).join(',') });
  const total = videos.length * 7;
  const all = await waitForDeliveries(vodA, {}, total);
  assert.equal(r.received.length, total, 'no request beyond one per event');
  assert.equal(new Set(r.received.map((x) => x.eventId)).size, total);
  assert.ok(all.every((d) => d.Attempts === 1), 'one attempt each');
  for (const v of videos) {
    const expected = all.filter((d) => d.MediaId === v.video_id).map((d) => d.EventId);
    assert.equal(expected.length, 7);
    assert.deepEqual(r.received.filter((x) => x.body?.MediaId === v.video_id).map((x) => x.eventId), expected, `order for ${v.video_id}`);
  }
});
