// ScrollToken paging: complete and duplicate-free while media arrive, retries, skips, the window,
// expiry, and the 5,000-hit cap of page mode that scrolling goes past.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../src/domain/errors.js';
import { purgeExpiredScrolls } from '../../src/search/scroll.repository.js';
import { SCROLL_TTL_MS, SCROLL_WINDOW_ROWS } from '../../src/search/search.service.js';
import type { VideoTable } from '../../src/store/schema.js';
import { createTestStore, testDialect } from '../helpers/store.js';
import { seededRandom, testSeed } from './random.js';
import { BASE_MS, insertCategories, insertVideos, randomVideo, randomVideos, searcher, type SortSpec, sorted, sortText } from './search-kit.js';

let t: Awaited<ReturnType<typeof createTestStore>>;
let search: ReturnType<typeof searcher>;
let cateIds: number[];

before(async () => {
  t = await createTestStore();
  cateIds = await insertCategories(t.store.db, ['c1', 'c2']);
  search = searcher(t.store);
});
after(async () => t?.cleanup());

const rejects = (code: string, message?: RegExp) => (err: unknown) => {
  assert.ok(err instanceof ApiError, String(err));
  assert.equal(err.code, code);
  assert.equal(err.httpStatus, 400);
  if (message) assert.match(err.message, message);
  return true;
};

/** Rows of one app, so each test searches only its own videos. */
async function seedApp(appId: string, n: number, seed: number): Promise<VideoTable[]> {
  const rows = randomVideos(seededRandom(seed), n, cateIds).map((v) => ({ ...v, app_id: appId }));
  await insertVideos(t.store.db, rows);
  return rows;
}

describe(`ScrollToken (${testDialect})`, () => {
  for (const [i, sort] of ([[{ column: 'created_at_ms', desc: true }], [{ column: 'created_at_ms', desc: false }], [{ column: 'modified_at_ms', desc: false }],
    [{ column: 'modified_at_ms', desc: true }]] as SortSpec[][]).entries()) {
    test(`traverses every video exactly once while new ones arrive (${sortText(sort)})`, async () => {
      const app = `scroll-${i}`;
      const r = seededRandom(testSeed(500 + i));
      const original = await seedApp(app, 230, 600 + i);
      const match = `AppId in ('${app}')`;
      const first = await search({ Match: match, SortBy: sortText(sort), PageSize: 7 });
      assert.equal(first.Total, original.length);
      const token = first.ScrollToken as string;
      assert.match(token, /^[0-9a-f]{32}$/);
      const seen = first.MediaList.map((m) => m.MediaId);
      const deleted = new Set<string>();
      const late = new Set<string>();
      for (let page = 2; page < 200; page++) {
        // Between pages: media created now (after the scroll began), media backdated into the
        // traversed range, and a deletion of one not yet seen.
        const now = randomVideo(r, cateIds, Date.now());
        const backdated = randomVideo(r, cateIds, BASE_MS + r.int(0, 3600) * 1000);
        await insertVideos(t.store.db, [{ ...now, app_id: app, modified_at_ms: now.created_at_ms }, { ...backdated, app_id: app }]);
        late.add(now.video_id).add(backdated.video_id);
        if (page % 5 === 0) {
          const victim = original.find((v) => !seen.includes(v.video_id) && !deleted.has(v.video_id));
          if (victim) {
            await t.store.db.deleteFrom('videos').where('video_id', '=', victim.video_id).execute();
            deleted.add(victim.video_id);
          }
        }
        const next = await search({ Match: match, ScrollToken: token, PageSize: 7, ...(page % 2 === 0 ? { PageNo: page } : {}) });
        assert.equal(next.Total, original.length, 'Total is the count when the scroll began');
        if (next.MediaList.length === 0) {
          assert.equal(next.ScrollToken, undefined);
          break;
        }
        assert.equal(next.ScrollToken, token, 'one token serves the whole scroll');
        seen.push(...next.MediaList.map((m) => m.MediaId));
      }
      assert.equal(new Set(seen).size, seen.length, 'no video twice');
      const expected = sorted(original.filter((v) => !deleted.has(v.video_id)), sort).map((v) => v.video_id);
      assert.deepEqual(seen.filter((id) => !late.has(id)), expected, 'every original video once, in order');
      for (const id of seen) assert.ok(!deleted.has(id), 'a deleted video is not returned');
      assert.ok(deleted.size > 3);
    });
  }

  test('a page can be asked again, pages can be skipped within the window, not beyond', async () => {
    const rows = sorted(await seedApp('scroll-window', 60, 700), [{ column: 'created_at_ms', desc: true }]).map((v) => v.video_id);
    const match = "AppId = 'scroll-window'";
    const p1 = await search({ Match: match, PageSize: 5 });
    const token = p1.ScrollToken as string;
    const p2 = await search({ Match: match, ScrollToken: token, PageSize: 5, PageNo: 2 });
    const p2again = await search({ Match: match, ScrollToken: token, PageSize: 5, PageNo: 2 });
    assert.deepEqual(p2again.MediaList, p2.MediaList, 'a retried page answers the same rows');
    assert.deepEqual(p2.MediaList.map((m) => m.MediaId), rows.slice(5, 10));
    const p5 = await search({ Match: match, ScrollToken: token, PageSize: 5, PageNo: 5 });
    assert.deepEqual(p5.MediaList.map((m) => m.MediaId), rows.slice(20, 25), 'skipping forward from a page read');
    const back = await search({ Match: match, ScrollToken: token, PageSize: 5, PageNo: 1 });
    assert.deepEqual(back.MediaList.map((m) => m.MediaId), rows.slice(0, 5), 'PageNo is absolute');
    const next = await search({ ScrollToken: token, PageSize: 5 });
    assert.deepEqual(next.MediaList.map((m) => m.MediaId), rows.slice(25, 30), 'without PageNo: the page after the furthest read; Match may be left out');
    const bigger = await search({ ScrollToken: token, PageSize: 10, PageNo: 4 });
    assert.deepEqual(bigger.MediaList.map((m) => m.MediaId), rows.slice(30, 40), 'PageSize may change');
    const farPage = Math.floor((40 + SCROLL_WINDOW_ROWS) / 5) + 2;
    await assert.rejects(search({ ScrollToken: token, PageSize: 5, PageNo: farPage }), rejects('InvalidParameter', /PageNo.*at most 1200 results after/));
  });

  test('goes past the 5,000-hit cap of page mode', async () => {
    const r = seededRandom(testSeed(800));
    const rows = Array.from({ length: 5150 }, (_, i) => ({ ...randomVideo(r, cateIds, BASE_MS + Math.floor(i / 3) * 1000), app_id: 'scroll-big' }));
    await insertVideos(t.store.db, rows);
    const match = "AppId in ('scroll-big')";
    await assert.rejects(search({ Match: match, PageSize: 100, PageNo: 51 }), rejects('InvalidParameter', /PageNo.*first 5000 matches/));
    const last = await search({ Match: match, PageSize: 100, PageNo: 50 });
    assert.equal(last.MediaList.length, 100);
    let page = await search({ Match: match, PageSize: 100, SortBy: 'CreationTime:Asc' });
    const seen = page.MediaList.map((m) => m.MediaId);
    for (let n = 2; page.ScrollToken !== undefined; n++) {
      page = await search({ Match: match, PageSize: 100, SortBy: 'CreationTime:Asc', PageNo: n, ScrollToken: page.ScrollToken });
      seen.push(...page.MediaList.map((m) => m.MediaId));
    }
    assert.deepEqual(seen, sorted(rows, [{ column: 'created_at_ms', desc: false }]).map((v) => v.video_id));
    assert.equal(page.Total, 5150);
  });

  test('tokens: unknown or expired → InvalidScrollToken.Expired; malformed → InvalidParameter; purge', async () => {
    await seedApp('scroll-exp', 30, 900);
    const nowMs = Date.now();
    const first = await search({ Match: "AppId = 'scroll-exp'", PageSize: 10 }, nowMs);
    const token = first.ScrollToken as string;
    await assert.rejects(search({ ScrollToken: 'f'.repeat(32) }), rejects('InvalidScrollToken.Expired'));
    await assert.rejects(search({ ScrollToken: token, PageSize: 10 }, nowMs + SCROLL_TTL_MS + 1), rejects('InvalidScrollToken.Expired'));
    await assert.rejects(search({ ScrollToken: 'abc' }), rejects('InvalidParameter', /ScrollToken/));
    const later = nowMs + SCROLL_TTL_MS - 1000;
    const p2 = await search({ ScrollToken: token, PageSize: 10 }, later);
    assert.equal(p2.MediaList.length, 10);
    const p3 = await search({ ScrollToken: token.toUpperCase(), PageSize: 10 }, later + SCROLL_TTL_MS - 1000);
    assert.equal(p3.MediaList.length, 10, 'each use extends the token’s life');
    assert.ok((await purgeExpiredScrolls(t.store.db, later + 2 * SCROLL_TTL_MS)) >= 1);
    await assert.rejects(search({ ScrollToken: token, PageSize: 10 }, later), rejects('InvalidScrollToken.Expired'));
    const cursors = await t.store.db.selectFrom('search_scroll_cursors').select('token').where('token', '=', token).execute();
    assert.equal(cursors.length, 0, 'cursors go with their scroll');
  });

  test('a token continues one search only; SortBy in scroll mode has exactly one field', async () => {
    await seedApp('scroll-same', 20, 901);
    const first = await search({ Match: "AppId = 'scroll-same'", PageSize: 5, SortBy: 'ModificationTime:Asc' });
    const token = first.ScrollToken as string;
    const same = await search({ Match: "  appid='scroll-same' ", PageSize: 5, SortBy: 'modificationtime:asc', ScrollToken: token });
    assert.equal(same.MediaList.length, 5, 'the same search written differently is fine');
    await assert.rejects(search({ Match: "AppId = 'other'", ScrollToken: token }), rejects('InvalidParameter', /Match/));
    await assert.rejects(search({ SortBy: 'CreationTime:Asc', ScrollToken: token }), rejects('InvalidParameter', /SortBy/));
    await assert.rejects(search({ SortBy: 'ModificationTime:Asc,CreationTime:Asc', ScrollToken: token }), rejects('SortByExceededMax'));
    await assert.rejects(search({ SearchType: 'audio', ScrollToken: token }), rejects('InvalidParameter', /SearchType/));
  });

  test('which answers carry a token', async () => {
    await seedApp('scroll-which', 12, 902);
    const match = "AppId = 'scroll-which'";
    assert.equal((await search({ Match: match, SortBy: 'CreationTime:Desc,ModificationTime:Asc' })).ScrollToken, undefined, 'not with two sort fields');
    assert.equal((await search({ Match: "AppId = 'nobody'" })).ScrollToken, undefined, 'not when nothing is found');
    const p1 = await search({ Match: match, PageSize: 10 });
    const p2 = await search({ ScrollToken: p1.ScrollToken, PageSize: 10 });
    assert.equal(p2.MediaList.length, 2);
    assert.equal(p2.ScrollToken, p1.ScrollToken, 'a last, partial page still carries it');
    const p3 = await search({ ScrollToken: p1.ScrollToken, PageSize: 10 });
    assert.deepEqual([p3.MediaList.length, p3.ScrollToken], [0, undefined], 'an empty page ends the scroll');
  });
});
