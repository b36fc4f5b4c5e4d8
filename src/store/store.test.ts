import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestStore, testDialect } from '../../test/helpers/store.js';
import { migrateToLatest } from './migrate.js';

test(`migrations run and are idempotent (${testDialect})`, async () => {
  const t = await createTestStore();
  try {
    await migrateToLatest(t.store);
    const now = Date.now();
    await t.store.db.insertInto('categories').values({ app_id: 'app-1000000', parent_id: -1, level: 0, cate_name: 'x', type: 'default', created_at_ms: now }).execute();
    const row = await t.store.db.selectFrom('categories').selectAll().executeTakeFirstOrThrow();
    assert.equal(row.cate_id, 1000001);
    assert.equal(row.created_at_ms, now);
    assert.equal(typeof row.parent_id, 'number');
  } finally {
    await t.cleanup();
  }
});
