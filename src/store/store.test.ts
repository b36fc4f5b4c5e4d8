import { pgNonceStore } from './pg-nonce-table.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { sql } from 'kysely';
import { seedVideo } from '../../test/helpers/seed.js';
import { createTestStore, testDialect } from '../../test/helpers/store.js';
import { openStore } from './db.js';
import { failedBeforeAnyMigration, migrateToLatest } from './migrate.js';

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

test('a failure before any migration ran (a catalog object dropped by someone else meanwhile) is retried; a failing migration is not', () => {
  const pgError = (code: string) => Object.assign(new Error('x'), { code });
  // Before any migration ran, Kysely returns no results: nothing is half done, so it may be tried again.
  assert.equal(failedBeforeAnyMigration({ error: pgError('3F000') }), true);
  assert.equal(failedBeforeAnyMigration({ error: pgError('42P01') }), true);
  assert.equal(failedBeforeAnyMigration({ error: new Error('no code') }), true);
  // A migration that ran and failed, or no failure at all, is not retried.
  assert.equal(failedBeforeAnyMigration({ error: pgError('42P01'), results: [{ migrationName: '0002-url-uploads', direction: 'Up', status: 'Error' }] }), false);
  assert.equal(failedBeforeAnyMigration({ results: [] }), false);
});

test(`a migration that cannot run says why (${testDialect})`, async () => {
  const t = await createTestStore();
  try {
    // A column already there, in the way of a migration's ADD COLUMN: forget that migration ran, so it runs again.
    await sql`delete from kysely_migration where name = '0007-resume-total'`.execute(t.store.db);
    await assert.rejects(migrateToLatest(t.store), (err: Error) => {
      assert.match(err.message, /^database migration 0007-resume-total failed: .+/);
      return true;
    });
  } finally {
    await t.cleanup();
  }
});

// SQLite: rows are read as arrays and made into objects by db.ts (CachedStatement).
test('SQLite rows come back as plain objects, also after another process changed the table', { skip: testDialect !== 'sqlite' }, async () => {
  const t = await createTestStore();
  const other = openStore({ databaseUrl: t.databaseUrl, dataDir: t.dataDir });
  try {
    const { db } = t.store;
    await sql`create table probe_rows (id integer primary key, a text, b integer)`.execute(db);
    await sql`insert into probe_rows (id, a, b) values (1, 'x', 10), (2, 'y', null)`.execute(db);
    const read = () => sql<Record<string, unknown>>`select * from probe_rows order by id`.execute(db).then((r) => r.rows);
    assert.deepEqual(await read(), [{ id: 1, a: 'x', b: 10 }, { id: 2, a: 'y', b: null }]);
    // Same names twice (a join would do it): the last one wins, as before; a `__proto__` column is a plain field.
    const same = await sql<Record<string, unknown>>`select a as v, b as v, a as "__proto__" from probe_rows where id = 1`.execute(db);
    assert.deepEqual(same.rows, [Object.fromEntries([['v', 10], ['__proto__', 'x']])]);
    assert.equal(Object.getPrototypeOf(same.rows[0]), Object.prototype);
    // The cached statement sees a column added by another connection.
    await sql`alter table probe_rows add column c text default 'new'`.execute(other.db);
    assert.deepEqual(await read(), [{ id: 1, a: 'x', b: 10, c: 'new' }, { id: 2, a: 'y', b: null, c: 'new' }]);
    // Rows streamed one by one are objects too.
    const streamed: unknown[] = [];
    for await (const row of db.selectFrom('probe_rows' as never).selectAll().stream()) streamed.push(row);
    assert.deepEqual(streamed, await read());
  } finally {
    await other.close();
    await t.cleanup();
  }
});

// SQLite: a write transaction waits for another process's write lock instead of failing. With a
// deferred BEGIN, the first write after a fresh connection (or a schema reload) into a table with
// FTS5 triggers met SQLITE_BUSY at once, whatever the busy timeout: the FTS5 table is connected,
// reading, inside the transaction before the write lock is asked for.
test('SQLite: a transaction waits for another process holding the write lock', { skip: testDialect !== 'sqlite' }, async () => {
  const t = await createTestStore();
  let fresh: ReturnType<typeof openStore> | undefined;
  try {
    const video = await seedVideo(t.store.db, { title: 'before' });
    const holder = spawn(process.execPath, ['-e', `
      const db = new (require(process.argv[3]))(process.argv[1]);
      db.exec('begin immediate');
      db.prepare("update videos set description = 'by the other process' where video_id = ?").run(process.argv[2]);
      console.log('locked');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 400);
      db.exec('commit');
    `, join(t.dataDir, 'openvod.sqlite'), video.video_id, createRequire(import.meta.url).resolve('better-sqlite3')], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = once(holder, 'exit');
    await Promise.race([
      once(holder.stdout, 'data'),
      exited.then(([code]) => Promise.reject(new Error(`the lock holder exited (${String(code)}) before taking the lock`))),
    ]);
    fresh = openStore({ databaseUrl: t.databaseUrl, dataDir: t.dataDir });
    const db = fresh.db;
    await db.transaction().execute(async (trx) => {
      await trx.updateTable('videos').set({ title: 'after' }).where('video_id', '=', video.video_id).execute();
    });
    assert.deepEqual(await exited, [0, null]);
    const row = await db.selectFrom('videos').select(['title', 'description']).where('video_id', '=', video.video_id).executeTakeFirstOrThrow();
    assert.deepEqual(row, { title: 'after', description: 'by the other process' });
  } finally {
    await fresh?.close();
    await t.cleanup();
  }
});

// Postgres: nonces commit asynchronously (db.ts: noncePool); everything else waits for its WAL flush.
test('Postgres: the nonce sessions commit asynchronously, the others synchronously', { skip: testDialect !== 'postgres' }, async () => {
  const t = await createTestStore();
  try {
    const setting = async (db: typeof t.store.db) => (await sql<{ synchronous_commit: string }>`show synchronous_commit`.execute(db)).rows[0]?.synchronous_commit;
    // More queries than the pool has connections, at once: every session of the pool is set.
    const { db: nonceDb } = t.store.nonces as ReturnType<typeof pgNonceStore>;
    const nonceSettings = await Promise.all(Array.from({ length: 8 }, () => setting(nonceDb)));
    assert.deepEqual(new Set(nonceSettings), new Set(['off']));
    assert.equal(await setting(t.store.db), 'on');
  } finally {
    await t.cleanup();
  }
});

test(`prepared reads: many in one turn each get their own rows; each sees what was committed before it was asked (${testDialect})`, async () => {
  const { findVideo } = await import('../videos/video.repository.js');
  const t = await createTestStore();
  try {
    const ids = Array.from({ length: 20 }, (_, i) => `read-batch-${i}`);
    for (const id of ids) await seedVideo(t.store.db, { video_id: id, title: `title of ${id}` });
    // All asked in one turn (on SQLite: one batch, one read transaction), answered in order.
    const rows = await Promise.all([...ids, 'no-such-video'].map((id) => findVideo(t.store.db, id)));
    assert.deepEqual(rows.map((r) => r?.title), [...ids.map((id) => `title of ${id}`), undefined]);
    // A change committed by this process, then a read: the read sees it.
    await t.store.db.updateTable('videos').set({ title: 'changed' }).where('video_id', '=', 'read-batch-3').execute();
    assert.equal((await findVideo(t.store.db, 'read-batch-3'))?.title, 'changed');
    // Committed by another process (a second store on the same database), then read here.
    const other = openStore({ databaseUrl: t.databaseUrl, dataDir: t.dataDir });
    try {
      await other.db.updateTable('videos').set({ title: 'changed elsewhere' }).where('video_id', '=', 'read-batch-4').execute();
    } finally {
      await other.close();
    }
    const [again, changed] = await Promise.all([findVideo(t.store.db, 'read-batch-3'), findVideo(t.store.db, 'read-batch-4')]);
    assert.equal(again?.title, 'changed');
    assert.equal(changed?.title, 'changed elsewhere');
  } finally {
    await t.cleanup();
  }
});

test('SQLite: a prepared read still queued when the store closes is refused, not left waiting', { skip: testDialect !== 'sqlite' }, async () => {
  const { findVideo } = await import('../videos/video.repository.js');
  const t = await createTestStore();
  try {
    await seedVideo(t.store.db, { video_id: 'closing' });
    const reading = findVideo(t.store.db, 'closing');
    await t.store.close();
    await assert.rejects(reading, /closed|not open/);
  } finally {
    await t.cleanup();
  }
});
