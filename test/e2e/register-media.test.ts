// Storages and RegisterMedia end to end: a started server with a read-only fs storage (a
// directory of the user's files) and a writable one; objects are registered in place, analysed
// without a copy, played through the storage route, and never deleted by OpenVOD.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VodApiError, type VodRpcClient } from '../../src/sdk/rpc-client.js';
import { makeVideo } from '../helpers/media-fixtures.js';
import { startOrigin, type Origin } from '../helpers/origin.js';
import { clientFor, startTestServer, type TestServer, waitFor } from '../helpers/server.js';

const work = mkdtempSync(join(tmpdir(), 'openvod-register-'));
const library = join(work, 'library');
const writable = join(work, 'writable');
const configFile = join(work, 'config.json');
const LIB = 'library.example.com';
const OUT = 'out.example.com';

let server: TestServer;
let vod: VodRpcClient;
let origin: Origin;
let clipBytes: Buffer;

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const code = (expected: string) => (e: unknown) => e instanceof VodApiError && e.code === expected;

type Registered = { RegisteredMediaList: Array<{ FileURL: string; MediaId: string; NewRegister: boolean }>; FailedFileURLs: string[] };
const register = (entries: Array<Record<string, unknown>>, extra: Record<string, string> = {}) =>
  vod.call<Registered>('RegisterMedia', { RegisterMetadatas: JSON.stringify(entries), ...extra });

type VideoInfo = { Video: { Status: string; Size?: number; Duration?: number; CoverURL?: string; StorageLocation: string } };
async function waitStatus(videoId: string, statuses: string[]): Promise<VideoInfo['Video']> {
  let last: VideoInfo['Video'] | undefined;
  await waitFor(async () => {
    last = (await vod.call<VideoInfo>('GetVideoInfo', { VideoId: videoId })).Video;
    return statuses.includes(last.Status);
  }, 60_000, () => `video ${videoId} stayed ${JSON.stringify(last)}`);
  return last as VideoInfo['Video'];
}

before(async () => {
  mkdirSync(join(library, 'shows', 'season 1'), { recursive: true });
  mkdirSync(writable, { recursive: true });
  const clip = await makeVideo(work, { seconds: 2, width: 320, height: 240 });
  clipBytes = readFileSync(clip);
  copyFileSync(clip, join(library, 'shows', 'season 1', 'Episode 1.mp4'));
  copyFileSync(clip, join(library, 'second.mp4'));
  writeFileSync(join(library, 'notes.txt'), 'not media');
  writeFileSync(join(library, 'fake.mp4'), 'this is not a video at all');
  writeFileSync(join(work, 'secret.mp4'), 'outside the storage root');
  writeFileSync(configFile, JSON.stringify({
    worker: { pollMs: 100 },
    storages: [
      { location: LIB, type: 'fs', root: library },
      { location: OUT, type: 'fs', root: writable, writable: true },
    ],
  }));
  origin = await startOrigin();
  server = await startTestServer({ env: { OPENVOD_ALLOW_PRIVATE_NETWORKS: '1' }, args: ['--config', configFile] });
  vod = clientFor(server);
});
after(async () => {
  await server?.cleanup();
  await origin?.close();
});

describe('storages', () => {
  test('GetStorageList lists the built-in storage and the declared ones', async () => {
    const r = await vod.call<{ TotalCount: number; StorageList: { Storage: Array<{ Location: string; StorageType: string; Writable: boolean; DefaultUpload: boolean }> } }>('GetStorageList', {});
    assert.equal(r.TotalCount, 3);
    const byLocation = new Map(r.StorageList.Storage.map((s) => [s.Location, s]));
    assert.deepEqual(byLocation.get('openvod-default'), { ...byLocation.get('openvod-default'), StorageType: 'fs', Writable: true, DefaultUpload: true });
    assert.equal(byLocation.get(LIB)?.Writable, false);
    assert.equal(byLocation.get(OUT)?.Writable, true);
  });

  test('new media may go to a writable storage, not to a read-only or unknown one', async () => {
    await assert.rejects(vod.call('CreateUploadVideo', { Title: 't', FileName: 'a.mp4', StorageLocation: LIB }), code('InvalidStorage.ReadOnly'));
    await assert.rejects(vod.call('CreateUploadVideo', { Title: 't', FileName: 'a.mp4', StorageLocation: 'nowhere.example.com' }), code('InvalidStorage.NotFound'));
    origin.serveBytes('/pull/clip.mp4', clipBytes, { contentType: 'video/mp4' });
    const url = origin.url('/pull/clip.mp4');
    const { UploadJobs } = await vod.call<{ UploadJobs: Array<{ JobId: string }> }>('UploadMediaByURL', { UploadURLs: encodeURIComponent(url), StorageLocation: OUT });
    let info: { Status: string; MediaId: string } | undefined;
    await waitFor(async () => {
      info = (await vod.call<{ URLUploadInfoList: Array<{ Status: string; MediaId: string }> }>('GetURLUploadInfos', { JobIds: UploadJobs[0]?.JobId ?? '' })).URLUploadInfoList[0];
      return info?.Status === 'SUCCESS' || info?.Status?.endsWith('FAIL') === true;
    }, 60_000, () => JSON.stringify(info));
    assert.equal(info?.Status, 'SUCCESS');
    const videoId = info?.MediaId ?? '';
    assert.equal(md5(readFileSync(join(writable, videoId, 'source.mp4'))), md5(clipBytes), 'the source is a plain file in the writable storage');
    const play = await vod.call<{ PlayInfoList: { PlayInfo: Array<{ PlayURL: string }> } }>('GetPlayInfo', { VideoId: videoId });
    const playUrl = play.PlayInfoList.PlayInfo[0]?.PlayURL ?? '';
    assert.match(playUrl, new RegExp(`/storages/${OUT.replace(/\./g, '\\.')}/`));
    const res = await fetch(playUrl);
    assert.equal(res.status, 200);
    assert.equal(md5(Buffer.from(await res.arrayBuffer())), md5(clipBytes));

    await vod.call('DeleteVideo', { VideoIds: videoId });
    await waitFor(() => !existsSync(join(writable, videoId)), 20_000, () => 'a pulled source in a writable storage is purged with its video');
  });
});

describe('RegisterMedia', () => {
  test('registers objects in place, idempotently, and refuses what names no object of a storage', async () => {
    const episode = `http://${LIB}/shows/season%201/Episode%201.mp4`;
    const refused = [
      `http://${LIB}/../secret.mp4`,
      `http://${LIB}/shows/%2e%2e/%2e%2e/secret.mp4`,
      `http://${LIB}/shows%2f..%2f..%2fsecret.mp4`,
      `http://${LIB}/missing.mp4`,
      `http://${LIB}/notes.txt`,
      `http://unknown.example.com/second.mp4`,
      `http://openvod-default/anything.mp4`,
      `http://${LIB}/second.mp4?x=1`,
      'ftp://library.example.com/second.mp4',
    ];
    const first = await register([
      { FileURL: episode, Title: 'Episode 1', Tags: 'show,s1', Description: 'registered' },
      ...refused.map((FileURL) => ({ FileURL, Title: 'nope' })),
    ], { TemplateGroupId: 'VOD_NO_TRANSCODE', UserData: JSON.stringify({ Extend: { row: 1 } }) });
    assert.deepEqual(first.FailedFileURLs, refused);
    assert.equal(first.RegisteredMediaList.length, 1);
    const media = first.RegisteredMediaList[0];
    assert.equal(media?.NewRegister, true);
    assert.equal(media?.FileURL, episode);

    const again = await register([{ FileURL: episode, Title: 'Episode 1 again' }]);
    assert.deepEqual(again.RegisteredMediaList, [{ FileURL: episode, MediaId: media?.MediaId, NewRegister: false }]);
    assert.deepEqual(again.FailedFileURLs, []);

    const video = await waitStatus(media?.MediaId ?? '', ['Normal', 'UploadFail']);
    assert.equal(video.Status, 'Normal');
    assert.equal(video.StorageLocation, LIB);
    assert.equal(video.Size, clipBytes.length);
    assert.ok((video.Duration ?? 0) > 1.5);
    assert.ok(video.CoverURL, 'a cover was grabbed');
    assert.equal((await fetch(video.CoverURL as string)).status, 200);

    const mezz = await vod.call<{ Mezzanine: { FileURL: string; Size: number; Width: number } }>('GetMezzanineInfo', { VideoId: media?.MediaId ?? '' });
    assert.equal(mezz.Mezzanine.Width, 320);
    const ranged = await fetch(mezz.Mezzanine.FileURL, { headers: { range: 'bytes=0-9' } });
    assert.equal(ranged.status, 206);
    assert.deepEqual(Buffer.from(await ranged.arrayBuffer()), clipBytes.subarray(0, 10));

    // Nothing was copied into OpenVOD's own storage but the cover.
    const own = join(server.db.dataDir, 'media', 'objects', media?.MediaId ?? '');
    assert.deepEqual(readdirSync(own, { recursive: true }).filter((f) => String(f).endsWith('.mp4')), []);

    // Deleting the media never deletes the user's object; the object may be registered anew.
    await vod.call('DeleteVideo', { VideoIds: media?.MediaId ?? '' });
    await waitFor(() => !existsSync(own), 20_000, () => 'the cover is purged');
    assert.equal(md5(readFileSync(join(library, 'shows', 'season 1', 'Episode 1.mp4'))), md5(clipBytes));
    const anew = await register([{ FileURL: episode, Title: 'Episode 1' }]);
    assert.equal(anew.RegisteredMediaList[0]?.NewRegister, true);
    assert.notEqual(anew.RegisteredMediaList[0]?.MediaId, media?.MediaId);
  });

  test('without VOD_NO_TRANSCODE the media is analysed and stays UploadSucc; a non-media object fails', async () => {
    const r = await register([{ FileURL: `http://${LIB}/second.mp4`, Title: 'Second' }, { FileURL: `http://${LIB}/fake.mp4`, Title: 'Fake' }]);
    assert.equal(r.RegisteredMediaList.length, 2);
    const [second, fake] = r.RegisteredMediaList;
    await waitFor(async () => {
      const v = (await vod.call<VideoInfo>('GetVideoInfo', { VideoId: second?.MediaId ?? '' })).Video;
      return v.Duration !== undefined && v.Duration > 0;
    }, 60_000, () => 'the registered media was not analysed');
    assert.equal((await waitStatus(second?.MediaId ?? '', ['UploadSucc'])).Status, 'UploadSucc');
    assert.equal((await waitStatus(fake?.MediaId ?? '', ['UploadFail'])).Status, 'UploadFail');
    assert.ok(existsSync(join(library, 'fake.mp4')), 'a failed registration leaves the user\'s object alone');
  });

  test('bad requests are refused whole and create nothing', async () => {
    await assert.rejects(vod.call('RegisterMedia', { RegisterMetadatas: 'not json' }), code('InvalidParameter'));
    await assert.rejects(register([]), code('InvalidParameter'));
    const eleven = Array.from({ length: 11 }, (_, i) => ({ FileURL: `http://${LIB}/x${i}.mp4`, Title: 't' }));
    await assert.rejects(register(eleven), code('InvalidParameter'));
    await assert.rejects(register([{ FileURL: `http://${LIB}/second.mp4` }]), code('InvalidParameter'));
    await assert.rejects(register([{ FileURL: `http://${LIB}/second.mp4`, Title: 'x'.repeat(129) }]), code('LengthExceededMax'));
    await assert.rejects(register([{ FileURL: `http://${LIB}/second.mp4`, Title: 't' }], { TemplateGroupId: 'nope' }), code('InvalidTemplateGroupId.NotFound'));
    copyFileSync(join(library, 'second.mp4'), join(writable, 'other.mp4'));
    await assert.rejects(
      register([{ FileURL: `http://${LIB}/shows/season%201/Episode%201.mp4`, Title: 'a' }, { FileURL: `http://${OUT}/other.mp4`, Title: 'b' }]),
      code('InvalidParameter'),
    );
  });
});
