import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestStore, testDialect } from '../../test/helpers/store.js';
import { ACCESS_KEY_TTL_MS, AccessKeyCache } from './access-key.cache.js';
import { type AccessKey, findAccessKey, insertAccessKey, setAccessKeyStatus } from './access-key.repository.js';

let t: Awaited<ReturnType<typeof createTestStore>>;
const key = (id: string): AccessKey => ({
  accessKeyId: id, accessKeySecret: `secret-of-${id}`, status: 'Active', allowedActions: ['GetVideoInfo'], description: 'test', isRoot: false, createdAtMs: 1_700_000_000_000,
});

before(async () => {
  t = await createTestStore();
});
after(async () => t?.cleanup());

test(`findAccessKey reads a key, and nothing for an unknown id, also inside a transaction (${testDialect})`, async () => {
  await insertAccessKey(t.store.db, key('LTAIcacheKey0000000001'));
  assert.deepEqual(await findAccessKey(t.store.db, 'LTAIcacheKey0000000001'), key('LTAIcacheKey0000000001'));
  assert.equal(await findAccessKey(t.store.db, 'LTAInoSuchKey'), undefined);
  const inTx = await t.store.db.transaction().execute((trx) => findAccessKey(trx, 'LTAIcacheKey0000000001'));
  assert.equal(inTx?.accessKeySecret, 'secret-of-LTAIcacheKey0000000001');
});

test(`a disabled key is seen within the TTL, not before (${testDialect})`, async () => {
  const id = 'LTAIcacheKey0000000002';
  await insertAccessKey(t.store.db, key(id));
  const cache = new AccessKeyCache(t.store.db);
  const now = 5_000_000;
  assert.equal((await cache.get(id, now))?.status, 'Active');
  await setAccessKeyStatus(t.store.db, id, 'Inactive');
  assert.equal((await cache.get(id, now + ACCESS_KEY_TTL_MS - 1))?.status, 'Active', 'cached within the TTL');
  assert.equal((await cache.get(id, now + ACCESS_KEY_TTL_MS))?.status, 'Inactive', 'read again once the TTL is over');
  assert.ok(ACCESS_KEY_TTL_MS <= 1000, 'the documented bound is one second');
});

test(`a key created after a miss works once the TTL is over (${testDialect})`, async () => {
  const id = 'LTAIcacheKey0000000003';
  const cache = new AccessKeyCache(t.store.db, 50);
  assert.equal(await cache.get(id, 0), undefined);
  await insertAccessKey(t.store.db, key(id));
  assert.equal(await cache.get(id, 49), undefined);
  assert.equal((await cache.get(id, 50))?.accessKeyId, id);
});

test(`requests that miss together share one read (${testDialect})`, async () => {
  const id = 'LTAIcacheKey0000000004';
  await insertAccessKey(t.store.db, key(id));
  const cache = new AccessKeyCache(t.store.db);
  const [a, b] = [cache.get(id, 0), cache.get(id, 1)];
  assert.equal(a, b);
  assert.equal((await a)?.accessKeyId, id);
});

test(`peek answers only what get would answer at once: a settled entry within its TTL, absent keys too (${testDialect})`, async () => {
  const id = 'LTAIcacheKey0000000005';
  await insertAccessKey(t.store.db, key(id));
  const cache = new AccessKeyCache(t.store.db, 100);
  assert.equal(cache.peek(id, 0), undefined, 'nothing cached');
  const reading = cache.get(id, 0);
  assert.equal(cache.peek(id, 0), undefined, 'the read is still in flight');
  await reading;
  assert.equal(cache.peek(id, 99)?.key?.accessKeyId, id);
  assert.equal(cache.peek(id, 100), undefined, 'stale: get reads again');
  await cache.get('LTAInoSuchKey', 0);
  assert.deepEqual(cache.peek('LTAInoSuchKey', 50), { key: undefined }, 'a known absence is an answer too');
});
