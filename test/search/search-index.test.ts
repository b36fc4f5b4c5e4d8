// The trigram indexes behind fuzzy search: kept in sync with videos, and actually used.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { checkMatch } from '../../src/search/match-check.js';
import { parseMatch } from '../../src/search/match-parser.js';
import { filterSql } from '../../src/search/video-filter.sql.js';
import type { Dialect } from '../../src/store/db.js';
import { rebuildVideoSearchIndex } from '../../src/store/migrations/0005-search.js';
import { seedVideo } from '../helpers/seed.js';
import { createTestStore, testDialect } from '../helpers/store.js';
import { searcher } from './search-kit.js';

let t: Awaited<ReturnType<typeof createTestStore>>;
let search: ReturnType<typeof searcher>;

before(async () => {
  t = await createTestStore();
  search = searcher(t.store);
});
after(async () => t?.cleanup());

const ids = async (match: string): Promise<string[]> => (await search({ Match: match, PageSize: 100 })).MediaList.map((m) => m.MediaId).sort();

describe(`fuzzy search index (${testDialect})`, () => {
  test('follows inserts, updates of the text, other updates and deletes', async () => {
    const v = await seedVideo(t.store.db, { title: 'Sunrise over Lisbon', description: 'Golden hour', tags: 'travel,city' });
    assert.deepEqual(await ids("Title = 'lisbon'"), [v.video_id]);
    assert.deepEqual(await ids("Description = 'GOLDEN'"), [v.video_id]);
    assert.deepEqual(await ids("Tags = 'travel'"), [v.video_id]);
    await t.store.db.updateTable('videos').set({ title: 'Sunset over Porto', tags: 'food' }).where('video_id', '=', v.video_id).execute();
    assert.deepEqual(await ids("Title = 'lisbon'"), []);
    assert.deepEqual(await ids("Title = 'porto'"), [v.video_id]);
    assert.deepEqual(await ids("Tags = 'travel'"), []);
    assert.deepEqual(await ids("Tags = 'food'"), [v.video_id]);
    assert.deepEqual(await ids("Description = 'golden'"), [v.video_id], 'unchanged columns stay indexed');
    await t.store.db.updateTable('videos').set({ status: 'Blocked', modified_at_ms: Date.now() }).where('video_id', '=', v.video_id).execute();
    assert.deepEqual(await ids("Title = 'porto' and Status in ('Blocked')"), [v.video_id]);
    await t.store.db.deleteFrom('videos').where('video_id', '=', v.video_id).execute();
    assert.deepEqual(await ids("Title = 'porto'"), []);
  });

  if (testDialect === 'sqlite') {
    test('SQLite: an FTS5 trigram query narrows values of 3+ characters; shorter ones scan', async () => {
      assert.match(await sqlitePlan("Title = 'abc'"), /videos_fts VIRTUAL TABLE INDEX/);
      assert.doesNotMatch(await sqlitePlan("Title = 'ab'"), /videos_fts/);
    });

    test('SQLite: rebuildVideoSearchIndex restores a lost index', async () => {
      const v = await seedVideo(t.store.db, { title: 'Rebuild me please' });
      await sql`insert into videos_fts(videos_fts) values ('delete-all')`.execute(t.store.db);
      assert.deepEqual(await ids("Title = 'rebuild'"), []);
      await rebuildVideoSearchIndex(t.store.db, 'sqlite');
      assert.deepEqual(await ids("Title = 'rebuild'"), [v.video_id]);
    });
  }

  if (testDialect === 'postgres') {
    test('Postgres: pg_trgm lives in public and the GIN indexes serve contains', async () => {
      const ext = await sql<{ schema: string }>`select extnamespace::regnamespace::text as schema from pg_extension where extname = 'pg_trgm'`.execute(t.store.db);
      assert.equal(ext.rows[0]?.schema, 'public');
      for (const [match, index] of [["Title = 'abcdef'", 'videos_title_trgm'], ["Description = 'abcdef'", 'videos_description_trgm'], ["Tags = 'abcdef'", 'videos_tags_trgm']]) {
        const q = compiled(match as string, 'postgres');
        const plan = await t.store.db.transaction().execute(async (trx) => {
          await sql`set local enable_seqscan = off`.execute(trx);
          const r = await sql<{ 'QUERY PLAN': string }>`explain ${sql.raw(q.sql.replace('$1', `'${String(q.parameters[0])}'`))}`.execute(trx);
          return r.rows.map((x) => x['QUERY PLAN']).join('\n');
        });
        assert.match(plan, new RegExp(`Bitmap Index Scan on ${index}`), plan);
      }
    });
  }
});

function compiled(match: string, dialect: Dialect) {
  const filter = checkMatch(parseMatch(match));
  assert.ok(filter);
  return t.store.db.selectFrom('videos').selectAll().where(filterSql(filter, dialect)).compile();
}

/** EXPLAIN QUERY PLAN of the compiled filter with its parameters inlined as literals. */
async function sqlitePlan(match: string): Promise<string> {
  const q = compiled(match, 'sqlite');
  let i = 0;
  const text = q.sql.replace(/\?/g, () => `'${String(q.parameters[i++]).replaceAll("'", "''")}'`);
  const r = await sql<{ detail: string }>`explain query plan ${sql.raw(text)}`.execute(t.store.db);
  return r.rows.map((x) => x.detail).join(' | ');
}
