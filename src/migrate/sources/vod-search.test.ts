import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildMatch, fileNameOf, matchNamesStatus, parseMezzanine, parseSearchPage, searchParams, toItem } from './vod-search.js';

const STATUSES = "Status in ('Normal','UploadSucc','Transcoding','TranscodeFail','Checking')";

test('buildMatch: the migratable statuses, and-ed to the user\'s Match unless it names Status', () => {
  assert.equal(buildMatch(undefined), STATUSES);
  assert.equal(buildMatch('  '), STATUSES);
  assert.equal(buildMatch("Title = 'cats' and CateId = 12"), `Title = 'cats' and CateId = 12 and ${STATUSES}`);
  assert.equal(buildMatch("(Title = 'a' or Title = 'b')"), `(Title = 'a' or Title = 'b') and ${STATUSES}`);
  assert.equal(buildMatch("Status in ('Blocked')"), "Status in ('Blocked')");
  assert.equal(buildMatch("Title = 'Status report'"), `Title = 'Status report' and ${STATUSES}`);
  assert.equal(matchNamesStatus("status = 'Normal'"), true);
  assert.equal(matchNamesStatus("PreprocessStatus = 'UnPreprocess'"), false);
});

test('searchParams: scroll mode, 100 a page, oldest first, the fields the items need', () => {
  assert.deepEqual(searchParams({ page: 3, scrollToken: 'tok', match: 'm' }), {
    SearchType: 'video',
    Fields: 'Title,Description,Tags,CateId,CateName,CoverURL,Size,Duration,Status,CreationTime,ModificationTime',
    Match: 'm', SortBy: 'CreationTime:Asc', PageNo: 3, PageSize: 100, ScrollToken: 'tok',
  });
});

test('parseSearchPage: the reference shape; entries without an id are counted but skipped', () => {
  const page = parseSearchPage({
    RequestId: 'r', Total: 3, ScrollToken: 'abc',
    MediaList: [
      { MediaId: 'v1', MediaType: 'video', CreationTime: '2024-01-01T00:00:00Z', Video: { VideoId: 'v1', Title: 'One', Description: '', Tags: 't1,t2', CateId: 5, CateName: 'Cats', CoverURL: 'https://c/1.jpg', Size: 1234, Duration: 12.5, Status: 'Normal', ModificationTime: '2024-02-01T00:00:00Z' } },
      { MediaId: 'v2', MediaType: 'video', CreationTime: '2024-01-02T00:00:00Z' },
      { MediaType: 'video' },
    ],
  });
  assert.equal(page.count, 3);
  assert.equal(page.scrollToken, 'abc');
  assert.deepEqual(page.videos, [
    { videoId: 'v1', title: 'One', description: undefined, tags: 't1,t2', cateName: 'Cats', coverUrl: 'https://c/1.jpg', size: 1234, durationS: 12.5, lastModified: '2024-02-01T00:00:00Z' },
    { videoId: 'v2', title: undefined, description: undefined, tags: undefined, cateName: undefined, coverUrl: undefined, size: undefined, durationS: undefined, lastModified: '2024-01-02T00:00:00Z' },
  ]);
  assert.deepEqual(parseSearchPage({ RequestId: 'r' }), { videos: [], count: 0, scrollToken: undefined });
});

test('parseMezzanine and fileNameOf', () => {
  const m = parseMezzanine({ Mezzanine: { VideoId: 'v1', FileName: 'clip.MOV', FileURL: 'https://h/x/clip.mov?auth_key=1', Size: 99, Duration: '3.5', FileMD5: 'ABCDEF0123456789ABCDEF0123456789' } });
  assert.deepEqual(m, { fileName: 'clip.MOV', fileUrl: 'https://h/x/clip.mov?auth_key=1', size: 99, durationS: 3.5, md5: 'abcdef0123456789abcdef0123456789' });
  assert.equal(parseMezzanine({ Mezzanine: { FileMD5: 'not-md5' } }).md5, undefined);
  assert.equal(fileNameOf('v1', m), 'clip.MOV');
  assert.equal(fileNameOf('v1', { fileName: 'My title', fileUrl: 'https://h/a/b%20c.mp4?x=1' }), 'b c.mp4');
  assert.equal(fileNameOf('v1', { fileName: 'C:\\up\\talk.webm' }), 'talk.webm');
  assert.equal(fileNameOf('v1', {}), 'v1');
});

test('toItem: category by name only, mezzanine size/MD5 preferred, search duration preferred', () => {
  const item = toItem(
    { videoId: 'v1', title: 'T', tags: 'a', cateName: 'Cats', coverUrl: 'https://c', size: 10, durationS: 2, lastModified: '2024-01-01T00:00:00Z' },
    { fileName: 'a.mp4', fileUrl: 'https://h/a.mp4', size: 12, durationS: 2.04, md5: '0123456789abcdef0123456789abcdef' },
  );
  assert.deepEqual(item, {
    id: 'v1', fileName: 'a.mp4', title: 'T', description: undefined, tags: 'a', cateName: 'Cats', coverUrl: 'https://c', size: 12,
    md5: '0123456789abcdef0123456789abcdef', durationS: 2, lastModified: '2024-01-01T00:00:00Z', extra: {},
  });
  assert.equal('cateId' in item, false);
});
