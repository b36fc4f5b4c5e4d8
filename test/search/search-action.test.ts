// SearchMedia's answer: shape and types per reference §6, Fields, SearchType, parameter errors.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Params } from '../../src/api/rpc/params.js';
import { ApiError } from '../../src/domain/errors.js';
import { searchMedia } from '../../src/search/search.actions.js';
import { seedVideo } from '../helpers/seed.js';
import { createTestStore, testDialect } from '../helpers/store.js';
import { insertCategories, searcher } from './search-kit.js';

let t: Awaited<ReturnType<typeof createTestStore>>;
let search: ReturnType<typeof searcher>;
let cateId: number;
const CREATED = Date.UTC(2022, 2, 3, 4, 5, 6, 789);

before(async () => {
  t = await createTestStore();
  search = searcher(t.store);
  [cateId] = (await insertCategories(t.store.db, ['Documentaries'])) as [number];
  await seedVideo(t.store.db, {
    video_id: 'a'.repeat(32), title: 'Full video', description: 'desc', tags: 't1,t2', cate_id: cateId, status: 'Normal', size: 12345,
    duration: 61.5, cover_url: 'blob:aaaa/cover.jpg', snapshots: '["blob:aaaa/s1.jpg","https://x.example/s2.jpg"]', media_source: 'short_video',
    reference_id: 'ref-000001', created_at_ms: CREATED, modified_at_ms: CREATED + 60_000,
  });
  await seedVideo(t.store.db, { video_id: 'b'.repeat(32), title: 'Bare video', created_at_ms: CREATED - 1000, modified_at_ms: CREATED - 1000 });
});
after(async () => t?.cleanup());

const code = (expected: string, message?: RegExp) => (err: unknown) => {
  assert.ok(err instanceof ApiError, String(err));
  assert.equal(err.code, expected);
  if (message) assert.match(err.message, message);
  return true;
};

describe(`SearchMedia answer (${testDialect})`, () => {
  test('default fields: MediaId, MediaType, CreationTime and Video.VideoId', async () => {
    const r = await search({});
    assert.equal(r.Total, 2);
    assert.match(r.ScrollToken ?? '', /^[0-9a-f]{32}$/);
    assert.deepEqual(r.MediaList[0], { MediaId: 'a'.repeat(32), MediaType: 'video', CreationTime: '2022-03-03T04:05:06Z', Video: { VideoId: 'a'.repeat(32) } });
    assert.deepEqual(Object.keys(r).sort(), ['MediaList', 'ScrollToken', 'Total']);
  });

  test('every video field, typed as the reference says; stored URLs rendered', async () => {
    const env = { store: t.store, url: (s: string) => (s.startsWith('blob:') ? `https://vod.example/${s.slice(5)}?auth_key=x` : s) };
    const fields = 'VideoId,Title,Description,Tags,CateId,CateName,CoverURL,Duration,Size,Status,StorageLocation,StorageClass,AppId,CreationTime,'
      + 'ModificationTime,Snapshots,SpriteSnapshots,DownloadSwitch,MediaSource,PreprocessStatus,TranscodeMode,ReferenceId,RestoreStatus,RestoreExpiration';
    const r = (await searchMedia(env, new Params(new Map([['Fields', fields], ['Match', `VideoId = '${'a'.repeat(32)}'`]])), Date.now())) as {
      MediaList: Array<{ Video: Record<string, unknown> }>;
    };
    assert.deepEqual(r.MediaList[0]?.Video, {
      VideoId: 'a'.repeat(32), Title: 'Full video', Description: 'desc', Tags: 't1,t2', CateId: cateId, CateName: 'Documentaries',
      CoverURL: 'https://vod.example/aaaa/cover.jpg?auth_key=x', Duration: 61.5, Size: 12345, Status: 'Normal', StorageLocation: 'openvod-default',
      StorageClass: 'Standard', AppId: 'app-1000000', CreationTime: '2022-03-03T04:05:06Z', ModificationTime: '2022-03-03T04:06:06Z',
      Snapshots: ['https://vod.example/aaaa/s1.jpg?auth_key=x', 'https://x.example/s2.jpg'], SpriteSnapshots: [], DownloadSwitch: 'on',
      MediaSource: 'short_video', TranscodeMode: 'NoTranscode', ReferenceId: 'ref-000001',
    });
  });

  test('absent values are omitted; unknown Fields are ignored; names are case-insensitive', async () => {
    const r = await search({ Fields: 'title, cateid ,Size,Duration,CoverURL,URL,Nonsense,Description', Match: `VideoId = '${'b'.repeat(32)}'` });
    assert.deepEqual(r.MediaList[0]?.Video, { VideoId: 'b'.repeat(32), Title: 'Bare video' });
  });

  test('audio, image and attached searches answer nothing (OpenVOD keeps no such media); Match is still checked', async () => {
    for (const SearchType of ['audio', 'image', 'attached']) {
      const r = await search({ SearchType, Match: "Title = 'video'" });
      assert.deepEqual(r, { Total: 0, MediaList: [] });
    }
    await assert.rejects(search({ SearchType: 'audio', Match: "Title = 'x' or" }), code('ErrorMatchSyntax'));
    await assert.rejects(search({ SearchType: 'music' }), code('InvalidParameter', /SearchType/));
  });

  test('parameter errors', async () => {
    await assert.rejects(search({ Match: "Title = 'x" }), code('ErrorMatchSyntax', /position 9/));
    await assert.rejects(search({ Match: 'Size = 5' }), code('ErrorMatchSyntax', /Size takes a range/));
    await assert.rejects(search({ PageSize: 101 }), code('InvalidParameter', /PageSize/));
    await assert.rejects(search({ PageSize: 0 }), code('InvalidParameter', /PageSize/));
    await assert.rejects(search({ PageNo: 0 }), code('InvalidParameter', /PageNo/));
    await assert.rejects(search({ PageNo: 501, PageSize: 10 }), code('InvalidParameter', /PageNo.*5000/));
    await assert.rejects(search({ SortBy: 'CreationTime:Desc,ModificationTime:Desc,CreationTime:Asc,ModificationTime:Asc' }), code('SortByExceededMax'));
    await assert.rejects(search({ SortBy: 'Title:Desc' }), code('InvalidParameter', /not sortable/));
  });

  test('page mode: the 5,000th hit is reachable, Total counts beyond the page', async () => {
    const r = await search({ PageNo: 500, PageSize: 10 });
    assert.deepEqual([r.Total, r.MediaList.length], [2, 0]);
    const one = await search({ PageSize: 1, PageNo: 2 });
    assert.deepEqual([one.Total, one.MediaList.map((m) => m.MediaId)], [2, ['b'.repeat(32)]]);
    const first = await search({ PageSize: 1 });
    assert.equal(first.Total, 2);
  });
});
