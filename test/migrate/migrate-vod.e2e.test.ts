// One OpenVOD onto another (vod: source): title, description, tags, category (found or created
// on the target by name) and cover carried; the bytes pulled from the source's signed FileURL
// and verified by MD5 and duration; then the same by push.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VodRpcClient } from '../../src/sdk/rpc-client.js';
import { makeVideo } from '../helpers/media-fixtures.js';
import { md5Hex, startOrigin, type Origin } from '../helpers/origin.js';
import { TEST_KEY_ID, TEST_KEY_SECRET, waitFor } from '../helpers/server.js';
import { byId, ledgerRows, runCli, startTarget, targetKeys, workDir, type Target } from './migrate-kit.js';

const dir = workDir('migrate-vod');
let source: Target;
let target: Target;
let origin: Origin;
let clip: Buffer;
const sourceVideos: string[] = [];

before(async () => {
  clip = readFileSync(await makeVideo(dir, { seconds: 2, width: 160, height: 120 }));
  origin = await startOrigin();
  origin.serveBytes('/src/one.mp4', clip, { contentType: 'video/mp4' });
  origin.serveBytes('/src/two.mp4', clip, { contentType: 'video/mp4' });
  [source, target] = await Promise.all([startTarget(join(dir)), startTarget(workDir('migrate-vod-target'))]);
  const { Category } = await source.vod.call<{ Category: { CateId: number } }>('AddCategory', { CateName: 'Documentaries' });
  // The target already has a category of that name for one of them to be found, not created.
  await target.vod.call('AddCategory', { CateName: 'Existing' });
  const { Category: existing } = await source.vod.call<{ Category: { CateId: number } }>('AddCategory', { CateName: 'Existing' });
  const r = await source.vod.call<{ UploadJobs: Array<{ JobId: string }> }>('UploadMediaByURL', {
    UploadURLs: [origin.url('/src/one.mp4'), origin.url('/src/two.mp4')].map(encodeURIComponent).join(','),
    UploadMetadatas: JSON.stringify([
      { SourceURL: origin.url('/src/one.mp4'), Title: 'One', Description: 'the first', Tags: 'x,y', CateId: String(Category.CateId) },
      { SourceURL: origin.url('/src/two.mp4'), Title: 'Two', CateId: String(existing.CateId) },
    ]),
  });
  const jobIds = r.UploadJobs.map((j) => j.JobId);
  await waitFor(async () => {
    const i = await source.vod.call<{ URLUploadInfoList: Array<{ Status: string; MediaId: string }> }>('GetURLUploadInfos', { JobIds: jobIds.join(',') });
    if (!i.URLUploadInfoList.every((x) => x.Status === 'SUCCESS')) return false;
    sourceVideos.push(...i.URLUploadInfoList.map((x) => x.MediaId));
    return true;
  }, 60_000, () => 'the source videos did not finish');
});
after(async () => {
  await source?.server.cleanup();
  await target?.server.cleanup();
  await origin?.close();
});

const vodArgs = (ledger: string, extra: string[] = []): string[] => [
  '--source', `vod:${source.url}`, '--vod-access-key-id', TEST_KEY_ID, '--vod-access-key-secret', TEST_KEY_SECRET,
  '--endpoint', target.url, '--state', join(dir, ledger), ...targetKeys, '--poll-interval', '0.2', '--json', ...extra,
];

async function categoriesByName(vod: VodRpcClient): Promise<Map<string, number>> {
  const r = await vod.call<{ SubCategories: { Category: Array<{ CateId: number; CateName: string }> } }>('GetCategories', { CateId: -1, PageSize: 100 });
  return new Map(r.SubCategories.Category.map((c) => [c.CateName, c.CateId]));
}

describe('from another VOD account', () => {
  for (const method of ['pull', 'push'] as const) {
    test(`${method}: metadata and categories carried, bytes verified`, async () => {
      const r = await runCli(vodArgs(`${method}.sqlite`, ['--method', method]));
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      const rows = byId(ledgerRows(join(dir, `${method}.sqlite`)));
      assert.deepEqual([...rows.keys()].sort(), [...sourceVideos].sort());
      const cats = await categoriesByName(target.vod);
      assert.equal([...cats.keys()].filter((n) => n === 'Documentaries').length, 1, 'created once, then found');
      for (const [sourceId, row] of rows) {
        assert.equal(row.state, 'succeeded', JSON.stringify(row));
        assert.equal(row.source_md5, md5Hex(clip));
        assert.equal(row.target_md5, md5Hex(clip));
        const src = (await source.vod.call<{ Video: { Title: string; Description?: string; Tags?: string; CateName?: string } }>('GetVideoInfo', { VideoId: sourceId })).Video;
        const dst = (await target.vod.call<{ Video: { Title: string; Description?: string; Tags?: string; CateId?: number; CateName?: string; Status: string } }>(
          'GetVideoInfo', { VideoId: row.video_id ?? '' })).Video;
        assert.equal(dst.Status, 'Normal');
        assert.equal(dst.Title, src.Title);
        assert.equal(dst.Description ?? '', src.Description ?? '');
        assert.equal(dst.Tags ?? '', src.Tags ?? '');
        assert.equal(dst.CateId, cats.get(src.CateName ?? ''), `${src.Title}: category ${src.CateName}`);
      }
    });
  }
});
