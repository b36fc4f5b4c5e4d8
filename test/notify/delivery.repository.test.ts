// The deliveries table on the real store (SQLite, or Postgres with OPENVOD_TEST_DATABASE_URL):
// written with its event, per-media order in the claim, fencing, push-back, redelivery.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Store } from '../../src/store/db.js';
import { recordEvent, type NewEvent } from '../../src/events/event.repository.js';
import {
  claimDeliveries, eventBodies, listDeliveries, markDelivered, markFailed, markSkipped, redeliverByEventIds, redeliverDead, releaseDelivery,
} from '../../src/notify/delivery.repository.js';
import { createTestStore } from '../helpers/store.js';
import { seedVideo } from '../helpers/seed.js';

let store: Store;
let cleanup: () => Promise<void>;

before(async () => {
  const t = await createTestStore();
  store = t.store;
  cleanup = t.cleanup;
});
after(async () => {
  await cleanup?.();
});

const T0 = 1_800_000_000_000;

async function record(mediaId: string | null, n: number, extra: Partial<NewEvent> = {}): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    ids.push(await store.db.transaction().execute((trx) =>
      recordEvent(trx, { appId: 'app-repo', mediaId, type: 'MediaBaseChangeComplete', fields: { Status: 'success', MediaId: mediaId, N: i }, ...extra }, T0)));
  }
  return ids;
}

async function drainAll(): Promise<void> {
  // Clear whatever earlier tests left claimable, so each test sees only its own rows.
  for (;;) {
    const rows = await claimDeliveries(store, { token: 'drain', limit: 1000, leaseMs: 1000, nowMs: T0 + 10 ** 9 });
    if (rows.length === 0) return;
    for (const r of rows) await markDelivered(store.db, { seq: r.seq, token: 'drain' }, { targetUrl: 'x', statusCode: 200, nowMs: T0 });
  }
}

test('a delivery row is written with its event; UserData gives Extend and the override URL', async () => {
  const v = await seedVideo(store.db, { app_id: 'app-repo', user_data: JSON.stringify({ MessageCallback: { CallbackURL: 'http://media.example/cb' }, Extend: { order: 7 } }) });
  const [id] = await record(v.video_id, 1);
  const { rows } = await listDeliveries(store.db, { eventIds: [id!] }, { offset: 0, limit: 10, ascending: true });
  assert.equal(rows.length, 1);
  const row = rows[0]!;
  assert.equal(row.status, 'pending');
  assert.equal(row.override_url, 'http://media.example/cb');
  assert.equal(row.media_id, v.video_id);
  const body = JSON.parse(row.body ?? '{}') as Record<string, unknown>;
  assert.equal(body.EventId, id);
  assert.equal(body.Extend, '{"order":7}', 'an object Extend is echoed as a JSON string');
  assert.equal(body.EventType, 'MediaBaseChangeComplete');

  // A producer that deleted the row already passes the UserData itself.
  const [gone] = await record('deleted-media-0000000000000000000', 1, { userData: '{"MessageCallback":"{\\"CallbackURL\\":\\"http://gone.example/\\"}","Extend":"bye"}' });
  const g = (await listDeliveries(store.db, { eventIds: [gone!] }, { offset: 0, limit: 1, ascending: true })).rows[0]!;
  assert.equal(g.override_url, 'http://gone.example/');
  assert.equal((JSON.parse(g.body ?? '{}') as Record<string, unknown>).Extend, 'bye');

  // A producer's own Extend wins.
  const [own] = await record(v.video_id, 1, { fields: { Status: 'success', Extend: 'mine' } });
  const o = (await listDeliveries(store.db, { eventIds: [own!] }, { offset: 0, limit: 1, ascending: true })).rows[0]!;
  assert.equal((JSON.parse(o.body ?? '{}') as Record<string, unknown>).Extend, 'mine');

  // Rolled back with its transaction: neither the event nor the delivery exists.
  await assert.rejects(store.db.transaction().execute(async (trx) => {
    await recordEvent(trx, { appId: 'app-repo', mediaId: v.video_id, type: 'DeleteMediaComplete', fields: { Status: 'success', Marker: 'rolled-back' } }, T0);
    throw new Error('roll back');
  }));
  const all = await listDeliveries(store.db, { appId: 'app-repo' }, { offset: 0, limit: 100, ascending: true });
  assert.ok(all.rows.every((r) => !(r.body ?? '').includes('rolled-back')));
  assert.equal(all.rows.length, all.total);
});

test('claims follow per-media order; a failed delivery holds back its media, not others', async () => {
  await drainAll();
  const a = await record('media-a', 3);
  const b = await record('media-b', 2);
  const c = await record(null, 1);
  const now = T0 + 1000;
  const first = await claimDeliveries(store, { token: 't1', limit: 10, leaseMs: 30_000, nowMs: now });
  assert.deepEqual(first.map((r) => r.event_id).sort(), [a[0], b[0], c[0]].sort());
  assert.ok(first.every((r) => r.attempts === 1));
  // Nothing else is claimable while those are in flight.
  assert.deepEqual(await claimDeliveries(store, { token: 't2', limit: 10, leaseMs: 30_000, nowMs: now }), []);

  const lease = (id: string | undefined, token: string) => {
    const r = first.find((x) => x.event_id === id);
    assert.ok(r);
    return { seq: r.seq, token };
  };
  // A fenced transition with the wrong token changes nothing.
  assert.equal(await markDelivered(store.db, lease(b[0], 'wrong'), { targetUrl: 'x', statusCode: 200, nowMs: now }), false);
  assert.equal(await markDelivered(store.db, lease(b[0], 't1'), { targetUrl: 'x', statusCode: 200, nowMs: now }), true);
  assert.equal(await markFailed(store.db, lease(a[0], 't1'), 'media-a', { targetUrl: 'x', statusCode: 500, error: 'HTTP 500', retryAtMs: now + 5000, nowMs: now }), true);
  assert.equal(await markSkipped(store.db, 't1', [lease(c[0], 't1').seq], { reason: 'none', nowMs: now }), 1);

  const next = await claimDeliveries(store, { token: 't3', limit: 10, leaseMs: 30_000, nowMs: now + 1 });
  assert.deepEqual(next.map((r) => r.event_id), [b[1]], 'media-b moves on; media-a waits for its retry');
  await markDelivered(store.db, { seq: next[0]!.seq, token: 't3' }, { targetUrl: 'x', statusCode: 200, nowMs: now });

  const { rows } = await listDeliveries(store.db, { mediaId: 'media-a' }, { offset: 0, limit: 10, ascending: true });
  assert.ok(rows.slice(1).every((r) => r.next_attempt_at_ms === now + 5000), 'later events of the media are pushed back to the retry time');

  const retry = await claimDeliveries(store, { token: 't4', limit: 10, leaseMs: 30_000, nowMs: now + 5000 });
  assert.deepEqual(retry.map((r) => r.event_id), [a[0]]);
  assert.equal(retry[0]!.attempts, 2);
  // Dead: the media's next event goes ahead.
  await markFailed(store.db, { seq: retry[0]!.seq, token: 't4' }, 'media-a', { targetUrl: 'x', statusCode: undefined, error: 'timeout', retryAtMs: undefined, nowMs: now + 5000 });
  const after = await claimDeliveries(store, { token: 't5', limit: 10, leaseMs: 30_000, nowMs: now + 5000 });
  assert.deepEqual(after.map((r) => r.event_id), [a[1]]);
  const bodies = await eventBodies(store.db, [after[0]!.seq]);
  assert.equal((JSON.parse(bodies.get(after[0]!.seq) ?? '{}') as Record<string, unknown>).EventId, a[1]);

  // An expired lease makes the delivery claimable again (its process died).
  const reclaimed = await claimDeliveries(store, { token: 't6', limit: 10, leaseMs: 30_000, nowMs: now + 5000 + 30_000 });
  assert.deepEqual(reclaimed.map((r) => r.event_id), [a[1]]);
  assert.equal(await markDelivered(store.db, { seq: after[0]!.seq, token: 't5' }, { targetUrl: 'x', statusCode: 200, nowMs: now }), false, 'the old claim is fenced off');
  // Released at shutdown: due at once, attempt not counted.
  assert.equal(await releaseDelivery(store.db, { seq: reclaimed[0]!.seq, token: 't6' }, { nowMs: now + 40_000 }), true);
  const again = await claimDeliveries(store, { token: 't7', limit: 10, leaseMs: 30_000, nowMs: now + 40_000 });
  assert.deepEqual(again.map((r) => [r.event_id, r.attempts]), [[a[1], 2]]);
});

test('redelivery: by id whatever the outcome (pending left alone), or every dead one', async () => {
  await drainAll();
  const ids = await record('media-r', 3);
  const now = T0 + 100_000;
  const [one] = await claimDeliveries(store, { token: 'r1', limit: 10, leaseMs: 30_000, nowMs: now });
  await markFailed(store.db, { seq: one!.seq, token: 'r1' }, 'media-r', { targetUrl: 'x', statusCode: 500, error: 'HTTP 500', retryAtMs: undefined, nowMs: now });
  const [two] = await claimDeliveries(store, { token: 'r2', limit: 10, leaseMs: 30_000, nowMs: now });
  await markDelivered(store.db, { seq: two!.seq, token: 'r2' }, { targetUrl: 'x', statusCode: 200, nowMs: now });

  const r = await redeliverByEventIds(store.db, [ids[1]!, ids[2]!, 'nope'], now + 1);
  assert.deepEqual(r, { redelivered: [ids[1]], alreadyPending: [ids[2]], nonExistent: ['nope'] });
  assert.equal(await redeliverDead(store.db, { mediaId: 'media-r' }, now + 1), 1);
  const { rows } = await listDeliveries(store.db, { mediaId: 'media-r' }, { offset: 0, limit: 10, ascending: true });
  assert.deepEqual(rows.map((x) => [x.status, x.attempts]), [['pending', 0], ['pending', 0], ['pending', 0]]);
  assert.ok(rows.slice(0, 2).every((x) => x.scheduled_at_ms >= now), 'a fresh retry horizon for the redelivered');
});
