// SearchMedia against a brute-force filter in plain TypeScript over the same rows: random Match
// trees (every field and operation), sorts and pages, on the dialect under test.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { findFuzzyDriver } from '../../src/search/fuzzy-driver.js';
import { checkMatch } from '../../src/search/match-check.js';
import { parseMatch } from '../../src/search/match-parser.js';
import { countVideos, findVideoPage, findVideoPageCounted } from '../../src/search/search.repository.js';
import type { VideoTable } from '../../src/store/schema.js';
import { createTestStore, testDialect } from '../helpers/store.js';
import { seededRandom, testSeed } from './random.js';
import {
  insertCategories, insertVideos, randomQuery, randomVideos, searcher, type SearchAnswer, type SortSpec, sorted, sortText,
} from './search-kit.js';

let t: Awaited<ReturnType<typeof createTestStore>>;
let rows: VideoTable[];
let cateIds: number[];
let search: ReturnType<typeof searcher>;

before(async () => {
  t = await createTestStore();
  cateIds = await insertCategories(t.store.db, ['news', 'sports', 'kids']);
  rows = randomVideos(seededRandom(testSeed(7)), 400, cateIds);
  await insertVideos(t.store.db, rows);
  search = searcher(t.store);
});
after(async () => t?.cleanup());

describe(`SearchMedia vs brute force (${testDialect})`, () => {
  test('random Match, SortBy, PageNo and PageSize give exactly the brute-force page and Total', async () => {
    const seed = testSeed(99);
    const r = seededRandom(seed);
    let nonEmpty = 0;
    for (let i = 0; i < 400; i++) {
      const q = randomQuery(r, rows, cateIds);
      const keys: SortSpec[] = [];
      for (const column of r.chance(0.5) ? ['created_at_ms', 'modified_at_ms'] as const : ['modified_at_ms', 'created_at_ms'] as const) {
        if (keys.length === 0 || r.chance(0.4)) keys.push({ column, desc: r.chance(0.5) });
      }
      const useDefault = r.chance(0.2);
      const sort = useDefault ? [{ column: 'created_at_ms', desc: true } as const] : keys;
      const expected = sorted(rows.filter(q.pred), sort);
      const pageSize = r.int(1, 30);
      const pageNo = r.int(1, Math.max(1, Math.ceil(expected.length / pageSize) + 1));
      const params = { Match: q.match, SortBy: useDefault ? undefined : sortText(sort), PageSize: pageSize, PageNo: pageNo };
      let got: SearchAnswer;
      try {
        got = await search(params);
      } catch (err) {
        assert.fail(`seed ${seed} query ${i} ${JSON.stringify(params)} threw ${String(err)}`);
      }
      const want = expected.slice((pageNo - 1) * pageSize, pageNo * pageSize).map((v) => v.video_id);
      const context = `seed ${seed} query ${i}: ${JSON.stringify(params)}`;
      assert.deepEqual(got.MediaList.map((m) => m.MediaId), want, context);
      assert.equal(got.Total, expected.length, context);
      if (expected.length > 0) nonEmpty++;
    }
    assert.ok(nonEmpty > 150, `only ${nonEmpty} of 400 queries matched anything: the generator is too narrow`);
  });

  test('fuzzy matching: ASCII case-insensitive, other characters exact, wildcards and quotes literal', async () => {
    const cases: Array<[string, (v: VideoTable) => boolean]> = [
      ["Title = 'ALPHA'", (v) => v.title.toLowerCase().includes('alpha')],
      ["Title = 'École'", (v) => v.title.replace(/[A-Z]/g, (c) => c.toLowerCase()).includes('École')],
      ["Title = 'é'", (v) => v.title.includes('é')],
      ["Title = '%'", (v) => v.title.includes('%')],
      ["Title = 'a_b'", (v) => v.title.toLowerCase().includes('a_b')],
      ["Title = 'a%b'", (v) => v.title.toLowerCase().includes('a%b')],
      ["Title = '\\\\'", (v) => v.title.includes('\\')],
      ["Title = 'back\\slash'", (v) => v.title.includes('back\\slash')],
      ["Title = 'o''brien'", (v) => v.title.toLowerCase().includes("o'brien")],
      ['Title = \'"quoted"\'', (v) => v.title.includes('"quoted"')],
      ["Title = '中文 标'", (v) => v.title.includes('中文 标')],
      ["Title = ''", () => true],
      // Values under 3 characters (no trigram index): on Postgres a scan of the column itself.
      ["Title = 'AB'", (v) => v.title.toLowerCase().includes('ab')],
      ["Title = 'f.'", (v) => v.title.toLowerCase().includes('f.')],
      ["Title = '_S'", (v) => v.title.toLowerCase().includes('_s')],
      ["Title = '%B'", (v) => v.title.toLowerCase().includes('%b')],
      ["Title = 'O'''", (v) => v.title.toLowerCase().includes("o'")],
      ["Title = 'É'", (v) => v.title.includes('É')],
      ["Title = 'é '", (v) => v.title.includes('é ')],
      ["Title = '中文'", (v) => v.title.includes('中文')],
      ["Title = '0%'", (v) => v.title.includes('0%')],
      ["Tags = 'LIVE_'", (v) => v.tags.toLowerCase().includes('live_')],
      ["Description in ('zeta kappa', 'x')", (v) => v.description.includes('zeta kappa') || v.description.toLowerCase().includes('x')],
    ];
    for (const [match, pred] of cases) {
      const got = await search({ Match: match, PageSize: 100 });
      const expected = sorted(rows.filter(pred), [{ column: 'created_at_ms', desc: true }]);
      assert.equal(got.Total, expected.length, match);
      assert.deepEqual(got.MediaList.map((m) => m.MediaId), expected.slice(0, 100).map((v) => v.video_id), match);
    }
  });

  test('with and without looked-up fuzzy candidates driving the query (SQLite), the same rows', async () => {
    const r = seededRandom(testSeed(1234));
    let driven = 0;
    for (let i = 0; i < 300; i++) {
      const q = randomQuery(r, rows, cateIds);
      const filter = checkMatch(parseMatch(q.match));
      const sort = [{ field: 'CreationTime', column: 'created_at_ms', desc: r.chance(0.5) }] as const;
      const found = await findFuzzyDriver(t.store, filter);
      const page = { offset: 0, limit: 1000 };
      const plain = await findVideoPage(t.store.db, t.store.dialect, { filter, sort }, page);
      for (const driver of found ? [found] : []) {
        driven++;
        const withDriver = await findVideoPage(t.store.db, t.store.dialect, { filter, sort, driver }, page);
        assert.deepEqual(withDriver.map((v) => v.video_id), plain.map((v) => v.video_id), q.match);
        assert.equal(await countVideos(t.store.db, t.store.dialect, { filter, sort, driver }), plain.length, q.match);
        const counted = await findVideoPageCounted(t.store.db, t.store.dialect, { filter, sort, driver }, { offset: 0, limit: 5 });
        assert.equal(counted.total ?? 0, plain.length, q.match);
      }
      assert.deepEqual(plain.map((v) => v.video_id).sort(), rows.filter(q.pred).map((v) => v.video_id).sort(), q.match);
    }
    if (testDialect === 'sqlite') assert.ok(driven > 30, `only ${driven} queries had a driver`);
  });
});
