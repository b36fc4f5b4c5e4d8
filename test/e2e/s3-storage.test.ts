// S3 storages end to end against s3rver: the built-in storage redefined as a bucket (no shared
// disk: a URL pull lands in S3 and plays from there), and RegisterMedia of objects already in
// another bucket — analysed through presigned ranged reads, never copied.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { VodRpcClient } from '../../src/sdk/rpc-client.js';
import { makeVideo } from '../helpers/media-fixtures.js';
import { startOrigin, type Origin } from '../helpers/origin.js';
import { startS3rver, type S3rverInstance } from '../helpers/s3rver.js';
import { clientFor, startTestServer, type TestServer, waitFor } from '../helpers/server.js';

const work = mkdtempSync(join(tmpdir(), 'openvod-s3storage-'));
const configFile = join(work, 'config.json');
const LIB = 'library.s3.example.com';

let s3rver: S3rverInstance;
let s3: S3Client;
let server: TestServer;
let vod: VodRpcClient;
let origin: Origin;
let clip: Buffer;

const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');

async function keysIn(bucket: string, prefix = ''): Promise<string[]> {
  const r = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (r.Contents ?? []).map((o) => o.Key ?? '');
}

async function waitStatus(videoId: string, status: string): Promise<Record<string, unknown>> {
  let last: Record<string, unknown> = {};
  await waitFor(async () => {
    last = (await vod.call<{ Video: Record<string, unknown> }>('GetVideoInfo', { VideoId: videoId })).Video;
    return last.Status === status;
  }, 60_000, () => `video ${videoId}: ${JSON.stringify(last)}`);
  return last;
}

before(async () => {
  s3rver = await startS3rver({ buckets: ['openvod-media', 'user-library'] });
  s3 = new S3Client({
    endpoint: s3rver.endpoint, region: s3rver.region, forcePathStyle: true,
    credentials: { accessKeyId: s3rver.accessKeyId, secretAccessKey: s3rver.secretAccessKey },
  });
  clip = readFileSync(await makeVideo(work, { seconds: 2, width: 320, height: 240 }));
  await s3.send(new PutObjectCommand({ Bucket: 'user-library', Key: 'films/The Film.mp4', Body: clip, ContentType: 'video/mp4' }));
  const creds = { region: s3rver.region, accessKeyId: s3rver.accessKeyId, secretAccessKey: s3rver.secretAccessKey, forcePathStyle: true, endpoint: s3rver.endpoint };
  writeFileSync(configFile, JSON.stringify({
    worker: { pollMs: 100 },
    storages: [
      { location: 'openvod-default', type: 's3', bucket: 'openvod-media', prefix: 'vod/', ...creds },
      { location: LIB, type: 's3', bucket: 'user-library', ...creds },
    ],
  }));
  origin = await startOrigin();
  server = await startTestServer({ env: { OPENVOD_ALLOW_PRIVATE_NETWORKS: '1' }, args: ['--config', configFile] });
  vod = clientFor(server);
});
after(async () => {
  await server?.cleanup();
  await origin?.close();
  s3?.destroy();
  await s3rver?.stop();
});

describe('the built-in storage on S3', () => {
  test('a URL pull is stored in the bucket, plays from it, and is purged from it on delete', async () => {
    origin.serveBytes('/clip.mp4', clip, { contentType: 'video/mp4' });
    const { UploadJobs } = await vod.call<{ UploadJobs: Array<{ JobId: string }> }>('UploadMediaByURL', { UploadURLs: encodeURIComponent(origin.url('/clip.mp4')) });
    let info: { Status: string; MediaId: string } | undefined;
    await waitFor(async () => {
      info = (await vod.call<{ URLUploadInfoList: Array<{ Status: string; MediaId: string }> }>('GetURLUploadInfos', { JobIds: UploadJobs[0]?.JobId ?? '' })).URLUploadInfoList[0];
      return info?.Status === 'SUCCESS' || info?.Status?.endsWith('FAIL') === true;
    }, 60_000, () => JSON.stringify(info));
    assert.equal(info?.Status, 'SUCCESS');
    const videoId = info?.MediaId ?? '';
    const keys = await keysIn('openvod-media', `vod/${videoId}/`);
    assert.ok(keys.includes(`vod/${videoId}/source.mp4`), `source in the bucket: ${keys.join(', ')}`);
    assert.ok(keys.some((k) => k.endsWith('.jpg')), 'the cover too');
    assert.equal(existsSync(join(server.db.dataDir, 'media')), false, 'nothing under the data dir');
    const stored = await s3.send(new GetObjectCommand({ Bucket: 'openvod-media', Key: `vod/${videoId}/source.mp4` }));
    assert.equal(md5(await stored.Body?.transformToByteArray() ?? new Uint8Array()), md5(clip));

    const play = await vod.call<{ PlayInfoList: { PlayInfo: Array<{ PlayURL: string }> } }>('GetPlayInfo', { VideoId: videoId });
    const res = await fetch(play.PlayInfoList.PlayInfo[0]?.PlayURL ?? '', { headers: { range: 'bytes=100-199' } });
    assert.equal(res.status, 206);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), clip.subarray(100, 200));

    await vod.call('DeleteVideo', { VideoIds: videoId });
    await waitFor(async () => (await keysIn('openvod-media', `vod/${videoId}/`)).length === 0, 20_000, () => 'purged from the bucket');
  });
});

describe('RegisterMedia from an S3 storage', () => {
  test('both URL forms name the same object; it is analysed in place and never deleted', async () => {
    const httpForm = `http://${LIB}/films/The%20Film.mp4`;
    const first = await vod.call<{ RegisteredMediaList: Array<{ MediaId: string; NewRegister: boolean }>; FailedFileURLs: string[] }>('RegisterMedia', {
      RegisterMetadatas: JSON.stringify([{ FileURL: httpForm, Title: 'The Film' }, { FileURL: 's3://user-library/films/missing.mp4', Title: 'x' }]),
      TemplateGroupId: 'VOD_NO_TRANSCODE',
    });
    assert.deepEqual(first.FailedFileURLs, ['s3://user-library/films/missing.mp4']);
    const mediaId = first.RegisteredMediaList[0]?.MediaId ?? '';
    assert.equal(first.RegisteredMediaList[0]?.NewRegister, true);
    const again = await vod.call<{ RegisteredMediaList: Array<{ MediaId: string; NewRegister: boolean }> }>('RegisterMedia', {
      RegisterMetadatas: JSON.stringify([{ FileURL: 's3://user-library/films/The Film.mp4', Title: 'The Film' }]),
    });
    assert.deepEqual(again.RegisteredMediaList.map((r) => [r.MediaId, r.NewRegister]), [[mediaId, false]]);

    const video = await waitStatus(mediaId, 'Normal');
    assert.equal(video.Size, clip.length);
    assert.ok(Number(video.Duration) > 1.5);
    assert.ok(String(video.CoverURL).includes('/media/'), 'the cover lives in the built-in storage');
    assert.deepEqual(await keysIn('user-library'), ['films/The Film.mp4'], 'nothing was written into the user\'s bucket');

    const mezz = await vod.call<{ Mezzanine: { FileURL: string } }>('GetMezzanineInfo', { VideoId: mediaId });
    const res = await fetch(mezz.Mezzanine.FileURL);
    assert.equal(res.status, 200);
    assert.equal(md5(Buffer.from(await res.arrayBuffer())), md5(clip));

    await vod.call('DeleteVideo', { VideoIds: mediaId });
    await waitFor(async () => (await keysIn('openvod-media', `vod/${mediaId}/`)).length === 0, 20_000, () => 'the cover is purged');
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'user-library', Key: 'films/The Film.mp4' }));
    assert.equal(head.ContentLength, clip.length, 'the user\'s object is still there');
  });
});
