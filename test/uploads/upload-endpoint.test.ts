// The upload flow end to end against a started server: CreateUploadVideo/CreateUploadImage over
// RPC, then the REAL ali-oss client configured from the decoded UploadAddress/UploadAuth.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { linkSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type OSS from 'ali-oss';
import { createFsBlobStore } from '../../src/blob/fs-blob-store.js';
import { listEventsForMedia } from '../../src/events/event.repository.js';
import { crc64 } from '../../src/oss/crc64.js';
import { openStore, type Store } from '../../src/store/db.js';
import { VodApiError, type VodRpcClient } from '../../src/sdk/rpc-client.js';
import { makeGarbage, makeImage, makeVideo } from '../helpers/media-fixtures.js';
import { clientFor, startTestServer, type TestServer, waitFor } from '../helpers/server.js';
import { type Address, type Auth, decode, makeBigVideo, md5b64, md5hex, ossClient, rawOss, xmlField } from './upload-kit.js';

const work = mkdtempSync(join(tmpdir(), 'openvod-upload-'));
const configFile = join(work, 'config.json');
writeFileSync(configFile, JSON.stringify({ worker: { leaseMs: 3000, heartbeatMs: 1000, pollMs: 100, concurrency: 4 } }));

let server: TestServer;
let store: Store;
let vod: VodRpcClient;
let clip: Buffer;

before(async () => {
  clip = readFileSync(await makeVideo(work, { seconds: 3, width: 320, height: 240 }));
  server = await startTestServer({ args: ['--config', configFile] });
  store = openStore({ databaseUrl: server.db.databaseUrl, dataDir: server.db.dataDir });
  vod = clientFor(server);
});
after(async () => {
  await store?.close();
  await server?.cleanup();
});

interface Created { VideoId: string; address: Address; auth: Auth }
async function createVideo(params: Record<string, string> = {}): Promise<Created> {
  const r = await vod.call<{ VideoId: string; UploadAddress: string; UploadAuth: string }>('CreateUploadVideo', { Title: 'clip', FileName: 'D:\\videos\\clip.mp4', ...params });
  return { VideoId: r.VideoId, address: decode<Address>(r.UploadAddress), auth: decode<Auth>(r.UploadAuth) };
}

type VideoInfo = { Status: string; CoverURL?: string; Size?: number; Duration?: number; Snapshots: { Snapshot: string[] } };
async function settled(videoId: string): Promise<VideoInfo> {
  let video: VideoInfo | undefined;
  await waitFor(async () => {
    video = (await vod.call<{ Video: VideoInfo }>('GetVideoInfo', { VideoId: videoId })).Video;
    return video.Status === 'Normal' || video.Status === 'UploadFail';
  }, 60_000, () => `video ${videoId} did not settle: ${JSON.stringify(video)}`);
  return video as VideoInfo;
}

async function playBytes(videoId: string): Promise<Buffer> {
  const play = await vod.call<{ PlayInfoList: { PlayInfo: Array<{ PlayURL: string }> } }>('GetPlayInfo', { VideoId: videoId });
  const url = play.PlayInfoList.PlayInfo[0]?.PlayURL as string;
  const res = await fetch(url);
  assert.equal(res.status, 200);
  return Buffer.from(await res.arrayBuffer());
}

const noQuery = {} as OSS.ListPartsQuery;

async function fileMd5(videoId: string): Promise<string> {
  return (await vod.call<{ Mezzanine: { FileMD5: string } }>('GetMezzanineInfo', { VideoId: videoId })).Mezzanine.FileMD5.toLowerCase();
}

const ossError = (code: string, status: number) => (e: unknown) => {
  const err = e as { code?: string; status?: number; requestId?: string };
  assert.equal(err.code, code, JSON.stringify(e));
  assert.equal(err.status, status);
  assert.match(err.requestId ?? '', /^[0-9A-F]{24}$/);
  return true;
};

describe('CreateUploadVideo and the upload address', () => {
  test('decodes to our endpoint, a fixed bucket, an sv/ key and a scoped STS-style credential', async () => {
    const { VideoId, address, auth } = await createVideo();
    assert.equal(address.Endpoint, server.url);
    assert.equal(address.Bucket, 'outin-openvod');
    assert.match(address.FileName, new RegExp(`^sv/[0-9a-f-]+/${VideoId}\\.mp4$`));
    assert.match(auth.AccessKeyId, /^STS\./);
    assert.equal(auth.Expiration, '3000');
    assert.equal(auth.Region, 'cn-shanghai');
    const left = Date.parse(auth.ExpireUTCTime) - Date.now();
    assert.ok(left > 2900_000 && left <= 3001_000, `expires in ${left} ms`);
    const info = await vod.call<{ Video: { Status: string; Title: string } }>('GetVideoInfo', { VideoId });
    assert.equal(info.Video.Status, 'Uploading');
  });

  test('refuses what the reference refuses, creating nothing', async () => {
    const code = (c: string) => (e: unknown) => e instanceof VodApiError && e.code === c;
    await assert.rejects(vod.call('CreateUploadVideo', { Title: 't', FileName: 'notes.txt' }), code('InvalidFileName.Extension'));
    await assert.rejects(vod.call('CreateUploadVideo', { FileName: 'a.mp4' }), code('MissingParameter'));
    await assert.rejects(vod.call('CreateUploadVideo', { Title: 't', FileName: 'a.mp4', CateId: '999' }), code('InvalidCateId.NotFound'));
    await assert.rejects(vod.call('CreateUploadVideo', { Title: 't', FileName: 'a.mp4', TemplateGroupId: 'nope' }), code('InvalidTemplateGroupId.NotFound'));
    await assert.rejects(vod.call('CreateUploadVideo', { Title: 't'.repeat(129), FileName: 'a.mp4' }), code('LengthExceededMax'));
    await assert.rejects(vod.call('CreateUploadVideo', { Title: 't', FileName: 'a.mp4', ReferenceId: 'x' }), code('InvalidParameter'));
    await createVideo({ ReferenceId: 'ref-upload-1' });
    await assert.rejects(createVideo({ ReferenceId: 'ref-upload-1' }), code('InvalidReferenceId.Duplicate'));
    await assert.rejects(vod.call('RefreshUploadVideo', { VideoId: '0'.repeat(32) }), code('InvalidVideo.NotFound'));
  });
});

describe('PutObject with ali-oss', () => {
  test('a put makes the video Normal with identical bytes, a cover, OSS headers and the events', async () => {
    const { VideoId, address, auth } = await createVideo({ UserData: JSON.stringify({ Extend: { order: 7 } }) });
    const oss = ossClient(address, auth);
    const r = await oss.put(address.FileName, clip);
    const headers = r.res.headers as Record<string, string>;
    assert.equal(r.res.status, 200);
    assert.equal(headers.etag, `"${md5hex(clip).toUpperCase()}"`);
    assert.equal(headers['x-oss-hash-crc64ecma'], crc64(clip));
    assert.match(headers['x-oss-request-id'] ?? '', /^[0-9A-F]{24}$/);
    const video = await settled(VideoId);
    assert.equal(video.Status, 'Normal');
    assert.equal(video.Size, clip.length);
    assert.ok((video.Duration ?? 0) > 2.5);
    assert.match(video.CoverURL ?? '', /\/media\/.*covers\/upload-00001\.jpg\?auth_key=/);
    assert.equal((await fetch(video.CoverURL as string)).status, 200);
    assert.deepEqual(await playBytes(VideoId), clip);
    const head = await oss.head(address.FileName);
    assert.equal((head.res.headers as Record<string, string>)['content-length'], String(clip.length));
    assert.equal((head.res.headers as Record<string, string>)['x-oss-hash-crc64ecma'], crc64(clip));
    const events = await listEventsForMedia(store.db, VideoId);
    assert.deepEqual(events.map((e) => e.type), ['FileUploadComplete', 'VideoAnalysisComplete', 'SnapshotComplete']);
    assert.equal(events[0]?.body.Size, clip.length);
    assert.equal(events[0]?.body.Extend, '{"order":7}');
  });

  test('V4 signing (authorizationV4) works too', async () => {
    const { VideoId, address, auth } = await createVideo();
    await ossClient(address, auth, { v4: true }).put(address.FileName, clip);
    assert.equal((await settled(VideoId)).Status, 'Normal');
  });

  test('a file that is not media ends UploadFail with events and leaves no bytes', async () => {
    const junk = readFileSync(await makeGarbage(work, 50_000));
    const { VideoId, address, auth } = await createVideo();
    const oss = ossClient(address, auth);
    await oss.put(address.FileName, junk);
    assert.equal((await settled(VideoId)).Status, 'UploadFail');
    const events = await listEventsForMedia(store.db, VideoId);
    assert.deepEqual(events.map((e) => [e.type, e.body.Status]), [['FileUploadComplete', 'success'], ['VideoAnalysisComplete', 'fail']]);
    assert.equal(events[1]?.body.ErrorCode, 'InvalidMediaFile');
    await assert.rejects(oss.head(address.FileName), ossError('NoSuchKey', 404));
    // The same address takes a correct file (RefreshUploadVideo for a fresh credential).
    const refreshed = await vod.call<{ UploadAddress: string; UploadAuth: string; VideoId: string }>('RefreshUploadVideo', { VideoId });
    assert.deepEqual(decode<Address>(refreshed.UploadAddress), address);
    const auth2 = decode<Auth>(refreshed.UploadAuth);
    assert.notEqual(auth2.AccessKeyId, auth.AccessKeyId);
    await ossClient(address, auth2).put(address.FileName, clip);
    assert.equal((await settled(VideoId)).Status, 'Normal');
  });
});

describe('credentials are scoped and expire', () => {
  test('a credential for another object, a wrong secret, a wrong token, an unknown key, an expired one are refused', async () => {
    const a = await createVideo();
    const b = await createVideo();
    const withA = ossClient(a.address, a.auth);
    await assert.rejects(withA.put(b.address.FileName, clip), ossError('AccessDenied', 403));
    await assert.rejects(ossClient(a.address, { ...a.auth, AccessKeySecret: 'wrong' }).put(a.address.FileName, clip), ossError('SignatureDoesNotMatch', 403));
    await assert.rejects(ossClient(a.address, { ...a.auth, SecurityToken: 'CAISwrong' }).put(a.address.FileName, clip), ossError('InvalidSecurityToken', 403));
    await assert.rejects(ossClient(a.address, { ...a.auth, AccessKeyId: 'STS.unknown' }).put(a.address.FileName, clip), ossError('InvalidAccessKeyId', 403));
    await store.db.updateTable('upload_credentials').set({ expires_at_ms: Date.now() - 1000 }).where('access_key_id', '=', a.auth.AccessKeyId).execute();
    await assert.rejects(withA.put(a.address.FileName, clip), ossError('SecurityTokenExpired', 403));
    // Nothing was stored for either video.
    for (const id of [a.VideoId, b.VideoId]) {
      assert.equal((await vod.call<{ Video: { Status: string } }>('GetVideoInfo', { VideoId: id })).Video.Status, 'Uploading');
    }
  });

  test('a skewed clock is refused with RequestTimeTooSkewed; no Host bucket means the configured one', async () => {
    const { address, auth } = await createVideo();
    const base = { endpoint: server.url, method: 'PUT', key: address.FileName, auth, bucket: address.Bucket, body: clip };
    const skewed = await rawOss({ ...base, date: new Date(Date.now() - 20 * 60_000) });
    assert.equal(skewed.status, 403);
    assert.equal(xmlField(skewed.body, 'Code'), 'RequestTimeTooSkewed');
    assert.equal(xmlField(skewed.body, 'MaxAllowedSkewMilliseconds'), '900000');
    const ok = await rawOss(base);
    assert.equal(ok.status, 200, ok.body);
  });
});

describe('multipart', () => {
  let big: Buffer;
  let bigPath: string;
  before(async () => {
    bigPath = await makeBigVideo(work);
    big = readFileSync(bigPath);
    assert.ok(big.length >= 30 * 1024 * 1024, `fixture is ${big.length} bytes`);
  });

  test('multipartUpload of ≥ 30 MB ends Normal with identical bytes and the whole-object CRC', async () => {
    const { VideoId, address, auth } = await createVideo({ FileName: 'noise.mp4' });
    const r = await ossClient(address, auth).multipartUpload(address.FileName, bigPath, { partSize: 4 * 1024 * 1024, parallel: 4 });
    const headers = r.res.headers as Record<string, string>;
    assert.match(headers.etag ?? '', /^"[0-9A-F]{32}-9"$/);
    assert.equal(headers['x-oss-hash-crc64ecma'], crc64(big));
    assert.equal((await settled(VideoId)).Status, 'Normal');
    assert.deepEqual(await playBytes(VideoId), big);
    assert.equal(await fileMd5(VideoId), md5hex(big));
    // The parts are gone once assembled: no rows, no staging file.
    const leftovers = await store.db.selectFrom('multipart_parts').selectAll().execute();
    assert.equal(leftovers.length, 0);
    assert.deepEqual(readdirSync(join(server.db.dataDir, 'multipart')), []);
  });

  test('parts that do not fit the staging layout are assembled from where they are, bytes, CRC and MD5 intact', async () => {
    const { VideoId, address, auth } = await createVideo({ FileName: 'noise.mp4' });
    const oss = ossClient(address, auth);
    const init = await oss.initMultipartUpload(address.FileName);
    const MiB = 1024 * 1024;
    // Part 4 is larger than the others (the stride), so it cannot have a slot: it becomes a blob.
    const cuts = [[0, 4 * MiB], [4 * MiB, 8 * MiB], [8 * MiB, 12 * MiB], [12 * MiB, big.length]] as const;
    const etags: string[] = [];
    for (const [i, [a, b]] of cuts.entries()) etags.push((await oss.uploadPart(address.FileName, init.uploadId, i + 1, bigPath, a, b)).etag);
    // Part 2 again: a recorded slot is never rewritten, so this copy goes to a blob and replaces it.
    etags[1] = (await oss.uploadPart(address.FileName, init.uploadId, 2, bigPath, 4 * MiB, 8 * MiB)).etag;
    const done = await oss.completeMultipartUpload(address.FileName, init.uploadId, etags.map((etag, i) => ({ number: i + 1, etag })));
    assert.equal((done.res.headers as Record<string, string>)['x-oss-hash-crc64ecma'], crc64(big));
    assert.equal((await settled(VideoId)).Status, 'Normal');
    assert.deepEqual(await playBytes(VideoId), big);
    assert.equal(await fileMd5(VideoId), md5hex(big));
  });

  test('an interrupted upload resumes from its checkpoint across a server restart, re-sending only missing parts', async () => {
    const { VideoId, address, auth } = await createVideo({ FileName: 'noise.mp4' });
    let checkpoint: OSS.Checkpoint | undefined;
    const first = ossClient(address, auth);
    const partSize = 2 * 1024 * 1024;
    await assert.rejects(first.multipartUpload(address.FileName, bigPath, {
      partSize, parallel: 1,
      progress: async (_p: number, cpt: OSS.Checkpoint) => {
        checkpoint = cpt;
        if ((cpt?.doneParts?.length ?? 0) >= 5) first.cancel();
      },
    }));
    assert.ok(checkpoint && checkpoint.doneParts.length >= 5, 'some parts were uploaded');
    const done = checkpoint.doneParts.map((p) => p.number).sort((x, y) => x - y);

    // Restart the server on the same data dir and database: the upload survives.
    await server.stop();
    server = await startTestServer({ db: server.db, args: ['--config', configFile] });
    vod = clientFor(server);
    const second = ossClient(address, auth, { endpoint: server.url });
    const listed = await second.listParts(address.FileName, checkpoint.uploadId, noQuery);
    const parts = Array.isArray(listed.parts) ? listed.parts : [listed.parts];
    assert.deepEqual(parts.map((p) => Number(p.PartNumber)), done);

    const sent: number[] = [];
    await second.multipartUpload(address.FileName, bigPath, {
      partSize, parallel: 2, checkpoint,
      progress: async (_p: number, cpt: OSS.Checkpoint) => {
        for (const d of cpt?.doneParts ?? []) if (!done.includes(d.number) && !sent.includes(d.number)) sent.push(d.number);
      },
    });
    const total = Math.ceil(statSync(bigPath).size / partSize);
    assert.deepEqual(sent.sort((x, y) => x - y), Array.from({ length: total }, (_, i) => i + 1).filter((n) => !done.includes(n)));
    assert.equal((await settled(VideoId)).Status, 'Normal');
    assert.deepEqual(await playBytes(VideoId), big);
  });

  test('a Complete retried after a crash that followed the move into the store succeeds, FileMD5 from the analysis', async () => {
    const { VideoId, address, auth } = await createVideo({ FileName: 'noise.mp4' });
    const oss = ossClient(address, auth);
    const init = await oss.initMultipartUpload(address.FileName);
    const partSize = 4 * 1024 * 1024;
    const etags: string[] = [];
    for (let start = 0, n = 1; start < big.length; start += partSize, n++) {
      etags.push((await oss.uploadPart(address.FileName, init.uploadId, n, bigPath, start, Math.min(start + partSize, big.length))).etag);
    }
    // What the first Complete did before the process died: the staging file, under a second
    // name, moved into the store as the object; nothing recorded yet.
    await server.stop();
    const row = await store.db.selectFrom('upload_objects').select('blob_key').where('media_id', '=', VideoId).executeTakeFirstOrThrow();
    const staged = join(server.db.dataDir, 'multipart', `${init.uploadId}.data`);
    linkSync(staged, `${staged}.commit-0123456789ab`);
    const media = createFsBlobStore({ root: join(server.db.dataDir, 'media') });
    await media.putFile(row.blob_key, `${staged}.commit-0123456789ab`, { move: true, skipMd5: true });
    await media.close();

    server = await startTestServer({ db: server.db, args: ['--config', configFile] });
    vod = clientFor(server);
    const again = ossClient(address, auth, { endpoint: server.url });
    const done = await again.completeMultipartUpload(address.FileName, init.uploadId, etags.map((etag, i) => ({ number: i + 1, etag })));
    assert.equal(done.res.status, 200);
    assert.equal((done.res.headers as Record<string, string>)['x-oss-hash-crc64ecma'], crc64(big));
    assert.equal((await settled(VideoId)).Status, 'Normal');
    assert.deepEqual(await playBytes(VideoId), big);
    assert.equal(await fileMd5(VideoId), md5hex(big));
    assert.deepEqual(readdirSync(join(server.db.dataDir, 'multipart')), []);
  });

  test('a corrupt part (Content-MD5 mismatch) is refused and not kept; bad Complete lists are refused', async () => {
    const { address, auth } = await createVideo();
    const oss = ossClient(address, auth);
    const init = await oss.initMultipartUpload(address.FileName);
    const part = big.subarray(0, 200 * 1024);
    const base = { endpoint: server.url, key: address.FileName, auth, bucket: address.Bucket };
    const corrupt = await rawOss({ ...base, method: 'PUT', query: `partNumber=1&uploadId=${init.uploadId}`, body: part, headers: { 'Content-MD5': md5b64(Buffer.from('something else')) } });
    assert.equal(corrupt.status, 400);
    assert.equal(xmlField(corrupt.body, 'Code'), 'InvalidDigest');
    const listed = await oss.listParts(address.FileName, init.uploadId, noQuery);
    assert.deepEqual(listed.parts ?? [], []);

    const good = await rawOss({ ...base, method: 'PUT', query: `partNumber=1&uploadId=${init.uploadId}`, body: part, headers: { 'Content-MD5': md5b64(part) } });
    assert.equal(good.status, 200, good.body);
    const etag = good.headers.etag as string;
    await oss.uploadPart(address.FileName, init.uploadId, 2, bigPath, 0, 1000);
    await assert.rejects(oss.completeMultipartUpload(address.FileName, init.uploadId, [{ number: 1, etag: '"00000000000000000000000000000000"' }]), ossError('InvalidPart', 400));
    await assert.rejects(oss.completeMultipartUpload(address.FileName, init.uploadId, [{ number: 3, etag }]), ossError('InvalidPart', 400));
    await assert.rejects(oss.uploadPart(address.FileName, 'NOSUCHUPLOAD', 1, bigPath, 0, 1000), ossError('NoSuchUpload', 404));
    const abort = await oss.abortMultipartUpload(address.FileName, init.uploadId);
    assert.equal((abort as unknown as { res: { status: number } }).res.status, 204);
    await assert.rejects(oss.listParts(address.FileName, init.uploadId, noQuery), ossError('NoSuchUpload', 404));
  });
});

describe('CompleteMultipartUpload rules', () => {
  test('parts out of order, small middle parts and a malformed body are refused; x-oss-complete-all completes', async () => {
    const small = readFileSync(await makeGarbage(work, 50_000));
    const big = readFileSync(await makeGarbage(work, 120_000));
    const { VideoId, address, auth } = await createVideo();
    const oss = ossClient(address, auth);
    const init = await oss.initMultipartUpload(address.FileName);
    const base = { endpoint: server.url, key: address.FileName, auth, bucket: address.Bucket };
    const put = async (n: number, body: Buffer) => (await rawOss({ ...base, method: 'PUT', query: `partNumber=${n}&uploadId=${init.uploadId}`, body })).headers.etag as string;
    const e1 = await put(1, small);
    const e2 = await put(2, big);
    const complete = (xml: string, headers: Record<string, string> = {}) =>
      rawOss({ ...base, method: 'POST', query: `uploadId=${init.uploadId}`, body: Buffer.from(xml), headers: { 'Content-Type': 'application/xml', ...headers } });
    const list = (parts: Array<[number, string]>) => `<CompleteMultipartUpload>${parts.map(([n, e]) => `<Part><PartNumber>${n}</PartNumber><ETag>${e}</ETag></Part>`).join('')}</CompleteMultipartUpload>`;
    const codeOf = async (p: Promise<{ status: number; body: string }>) => { const r = await p; return [r.status, xmlField(r.body, 'Code')]; };
    assert.deepEqual(await codeOf(complete(list([[2, e2], [1, e1]]))), [400, 'InvalidPartOrder']);
    assert.deepEqual(await codeOf(complete(list([[1, e1], [2, e2]]))), [400, 'EntityTooSmall']);
    assert.deepEqual(await codeOf(complete('<NotIt/>')), [400, 'MalformedXML']);
    assert.deepEqual(await codeOf(complete(list([[2, e2]]), { 'Content-MD5': md5b64(Buffer.from('x')) })), [400, 'InvalidDigest']);
    // Part 1 again, now big enough: it replaces the first one.
    await put(1, big);
    const done = await rawOss({ ...base, method: 'POST', query: `uploadId=${init.uploadId}`, headers: { 'x-oss-complete-all': 'yes' } });
    assert.equal(done.status, 200, done.body);
    assert.equal(xmlField(done.body, 'Key'), address.FileName);
    assert.equal(done.headers['x-oss-hash-crc64ecma'], crc64(Buffer.concat([big, big])));
    // Random bytes are not media: the video fails, and the upload id is spent.
    assert.equal((await settled(VideoId)).Status, 'UploadFail');
    assert.deepEqual(await codeOf(complete(list([[1, e1]]))), [404, 'NoSuchUpload']);
  });
});

describe('images and covers', () => {
  test('CreateUploadImage + PutObject + UpdateVideoInfo sets a cover that GetVideoInfo serves', async () => {
    const png = readFileSync(await makeImage(work));
    const img = await vod.call<{ ImageId: string; ImageURL: string; FileURL: string; UploadAddress: string; UploadAuth: string }>('CreateUploadImage', { ImageType: 'cover', ImageExt: 'png', Title: 'poster' });
    const address = decode<Address>(img.UploadAddress);
    assert.equal(address.FileName, `image/cover/${img.ImageId}.png`);
    await ossClient(address, decode<Auth>(img.UploadAuth)).put(address.FileName, png);
    const served = await fetch(img.ImageURL);
    assert.equal(served.status, 200);
    assert.deepEqual(Buffer.from(await served.arrayBuffer()), png);
    const events = await listEventsForMedia(store.db, img.ImageId);
    assert.deepEqual(events.map((e) => [e.type, e.body.Status, e.body.Size]), [['ImageUploadComplete', 'success', png.length]]);

    const { VideoId, address: va, auth: vauth } = await createVideo();
    await ossClient(va, vauth).put(va.FileName, clip);
    await settled(VideoId);
    await vod.call('UpdateVideoInfo', { VideoId, CoverURL: img.ImageURL });
    const video = (await vod.call<{ Video: VideoInfo }>('GetVideoInfo', { VideoId })).Video;
    assert.match(video.CoverURL ?? '', new RegExp(`/media/${img.ImageId}/image\\.png\\?auth_key=`));
    const cover = await fetch(video.CoverURL as string);
    assert.deepEqual(Buffer.from(await cover.arrayBuffer()), png);
  });

  test('CreateUploadImage refuses an unknown ImageType and extension', async () => {
    const code = (c: string) => (e: unknown) => e instanceof VodApiError && e.code === c;
    await assert.rejects(vod.call('CreateUploadImage', { ImageType: 'banner' }), code('InvalidImageType.NotFound'));
    await assert.rejects(vod.call('CreateUploadImage', { ImageType: 'default', ImageExt: 'bmp' }), code('InvalidParameter'));
    const plain = await vod.call<{ UploadAddress: string }>('CreateUploadImage', { ImageType: 'default', OriginalFileName: 'C:\\pics\\Poster.JPG' });
    assert.match(decode<Address>(plain.UploadAddress).FileName, /^image\/default\/[0-9a-f]{32}\.jpg$/);
  });
});

describe('routing beside the RPC surface', () => {
  test('a path without OSS markers is an ordinary 404; RPC and health still answer', async () => {
    assert.equal((await fetch(`${server.url}/some/file.mp4`)).status, 404);
    assert.equal((await fetch(`${server.url}/some/file.mp4`, { method: 'PUT', body: 'x' })).status, 404);
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    await vod.call('GetCategories', {});
    const preflight = await fetch(`${server.url}/sv/x/y.mp4`, { method: 'OPTIONS', headers: { origin: 'http://app.example', 'access-control-request-method': 'PUT' } });
    assert.equal(preflight.status, 200);
    assert.match(preflight.headers.get('access-control-expose-headers') ?? '', /ETag/);
  });
});
