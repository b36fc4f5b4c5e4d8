// UploadMediaByURL end to end: a started server pulls from real loopback origins that serve
// media made by ffmpeg and misbehave on demand.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listEventsForMedia } from '../../src/events/event.repository.js';
import { openStore, type Store } from '../../src/store/db.js';
import { VodApiError, VodRpcClient } from '../../src/sdk/rpc-client.js';
import { makeVideo, makeAudio, mediaTools } from '../helpers/media-fixtures.js';
import { generatedBytes, startOrigin, type Origin } from '../helpers/origin.js';
import { createTestDatabase } from '../helpers/store.js';
import { clientFor, startTestServer, TEST_KEY_ID, TEST_KEY_SECRET, type TestServer, waitFor } from '../helpers/server.js';

const work = mkdtempSync(join(tmpdir(), 'openvod-urlpull-'));
const configFile = join(work, 'config.json');
writeFileSync(configFile, JSON.stringify({
  worker: { leaseMs: 3000, heartbeatMs: 1000, pollMs: 100, concurrency: 8 },
  ingest: { stallTimeoutMs: 1500, retryBaseMs: 100, retryCapMs: 400, fetchAttempts: 3, maxSourceBytes: 5_000_000, connectTimeoutMs: 3000, jobRunAttempts: 2, jobRetryBaseMs: 300 },
}));

let server: TestServer;
let store: Store;
let vod: VodRpcClient;
let origin: Origin;
let clip: Buffer;
let song: Buffer;

before(async () => {
  clip = readFileSync(await makeVideo(work, { seconds: 3, width: 320, height: 240 }));
  song = readFileSync(await makeAudio(work, { seconds: 2, format: 'mp3' }));
  origin = await startOrigin();
  server = await startTestServer({ env: { OPENVOD_ALLOW_PRIVATE_NETWORKS: '1' }, args: ['--config', configFile] });
  store = openStore({ databaseUrl: server.db.databaseUrl, dataDir: server.db.dataDir });
  vod = clientFor(server);
});
after(async () => {
  await store?.close();
  await server?.cleanup();
  await origin?.close();
});

type Info = { JobId: string; Status: string; MediaId: string; FileSize: string; BytesFetched: string; ErrorCode?: string; ErrorMessage?: string; UploadURL: string; CompleteTime?: string };
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const TERMINAL = ['SUCCESS', 'DOWNLOAD_FAIL', 'UPLOAD_FAIL'];

async function submit(client: VodRpcClient, urls: string[], extra: Record<string, string> = {}): Promise<Array<{ JobId: string; SourceURL: string }>> {
  const r = await client.call<{ UploadJobs: Array<{ JobId: string; SourceURL: string }> }>('UploadMediaByURL', {
    UploadURLs: urls.map(encodeURIComponent).join(','), ...extra,
  });
  return r.UploadJobs;
}

async function infos(client: VodRpcClient, jobIds: string[]): Promise<Info[]> {
  const out: Info[] = [];
  for (let i = 0; i < jobIds.length; i += 10) {
    const r = await client.call<{ URLUploadInfoList: Info[] }>('GetURLUploadInfos', { JobIds: jobIds.slice(i, i + 10).join(',') });
    out.push(...r.URLUploadInfoList);
  }
  return out;
}

async function settle(client: VodRpcClient, jobIds: string[], timeoutMs = 60_000): Promise<Map<string, Info>> {
  let last: Info[] = [];
  await waitFor(async () => {
    last = await infos(client, jobIds);
    return last.length === jobIds.length && last.every((i) => TERMINAL.includes(i.Status));
  }, timeoutMs, () => `jobs did not finish: ${JSON.stringify(last)}`);
  return new Map(last.map((i) => [i.JobId, i]));
}

const code = (expected: string) => (e: unknown) => e instanceof VodApiError && e.code === expected;

describe('a successful pull', () => {
  test('stores the bytes, analyses, grabs a cover, serves play and mezzanine info, records the events', async () => {
    origin.serveBytes('/media/clip.mp4', clip, { contentType: 'video/mp4' });
    origin.serveBytes('/media/Song%20One.mp3', song, { contentType: 'audio/mpeg' });
    const clipUrl = origin.url('/media/clip.mp4');
    const songUrl = origin.url('/media/Song%20One.mp3');
    const jobs = await submit(vod, [clipUrl, songUrl], {
      UploadMetadatas: JSON.stringify([{ SourceURL: clipUrl, Title: 'The clip', Tags: 'a,b', Description: 'pulled' }]),
      UserData: JSON.stringify({ Extend: { ref: 'row-7' } }),
    });
    assert.equal(jobs.length, 2);
    assert.equal(jobs[0]?.SourceURL, clipUrl);
    const done = await settle(vod, jobs.map((j) => j.JobId));
    const clipInfo = done.get(jobs[0]?.JobId ?? '');
    const songInfo = done.get(jobs[1]?.JobId ?? '');
    assert.equal(clipInfo?.Status, 'SUCCESS', JSON.stringify(clipInfo));
    assert.equal(songInfo?.Status, 'SUCCESS', JSON.stringify(songInfo));
    assert.equal(clipInfo?.FileSize, String(clip.length));
    assert.equal(clipInfo?.BytesFetched, String(clip.length));
    assert.equal(clipInfo?.ErrorCode, '200');
    assert.ok(clipInfo?.CompleteTime);

    const videoId = clipInfo?.MediaId ?? '';
    const { Video } = await vod.call<{ Video: Record<string, unknown> & { Snapshots: { Snapshot: string[] } } }>('GetVideoInfo', { VideoId: videoId });
    assert.equal(Video.Status, 'Normal');
    assert.equal(Video.Title, 'The clip');
    assert.equal(Video.Tags, 'a,b');
    assert.equal(Video.Size, clip.length);
    assert.ok(Math.abs(Number(Video.Duration) - 3) < 0.2, `duration ${String(Video.Duration)}`);
    assert.equal(Video.TemplateGroupId, 'VOD_NO_TRANSCODE');
    const cover = await fetch(String(Video.CoverURL));
    assert.equal(cover.status, 200);
    const jpeg = Buffer.from(await cover.arrayBuffer());
    assert.deepEqual([...jpeg.subarray(0, 3)], [0xff, 0xd8, 0xff]);
    assert.equal(Video.Snapshots.Snapshot.length, 1);

    const mezz = await vod.call<{ Mezzanine: Record<string, unknown> & { VideoStreamList: Array<Record<string, string>>; AudioStreamList: Array<Record<string, string>> } }>(
      'GetMezzanineInfo', { VideoId: videoId, AdditionType: 'video,audio', AuthTimeout: 600 },
    );
    const m = mezz.Mezzanine;
    assert.equal(m.Size, clip.length);
    assert.equal(m.FileMD5, md5(clip));
    assert.equal(m.Width, 320);
    assert.equal(m.Height, 240);
    assert.equal(m.Fps, '25');
    assert.equal(typeof m.Duration, 'string');
    assert.equal(m.Status, 'Normal');
    assert.equal(m.VideoStreamList[0]?.CodecName, 'h264');
    assert.equal(m.VideoStreamList[0]?.Width, '320');
    assert.equal(m.AudioStreamList[0]?.CodecName, 'aac');
    const file = await fetch(String(m.FileURL));
    assert.equal(md5(Buffer.from(await file.arrayBuffer())), md5(clip), 'the stored bytes are the source bytes');

    const play = await vod.call<{ VideoBase: Record<string, unknown>; PlayInfoList: { PlayInfo: Array<Record<string, unknown>> } }>('GetPlayInfo', { VideoId: videoId });
    const pi = play.PlayInfoList.PlayInfo[0];
    assert.equal(pi?.Format, 'mp4');
    assert.equal(pi?.Definition, 'OD');
    assert.equal(pi?.Width, 320);
    assert.equal(pi?.StreamType, 'video');
    assert.equal(play.VideoBase.MediaType, 'video');
    const ranged = await fetch(String(pi?.PlayURL), { headers: { range: 'bytes=0-99' } });
    assert.equal(ranged.status, 206);
    assert.equal(ranged.headers.get('content-type'), 'video/mp4');
    await assert.rejects(vod.call('GetPlayInfo', { VideoId: videoId, Formats: 'm3u8' }), code('InvalidVideo.NoneStream'));

    const songVideo = await vod.call<{ Video: Record<string, unknown> }>('GetVideoInfo', { VideoId: songInfo?.MediaId ?? '' });
    assert.equal(songVideo.Video.Title, 'Song One', 'without UploadMetadatas the title is the file name');
    assert.equal(songVideo.Video.CoverURL, undefined, 'audio has no cover');
    const songPlay = await vod.call<{ PlayInfoList: { PlayInfo: Array<Record<string, unknown>> } }>('GetPlayInfo', { VideoId: songInfo?.MediaId ?? '' });
    assert.equal(songPlay.PlayInfoList.PlayInfo[0]?.Format, 'mp3');
    assert.equal(songPlay.PlayInfoList.PlayInfo[0]?.StreamType, 'audio');

    const events = await listEventsForMedia(store.db, videoId);
    assert.deepEqual(events.map((e) => e.type), ['FileUploadComplete', 'VideoAnalysisComplete', 'SnapshotComplete', 'UploadByURLComplete']);
    const byUrl = events.at(-1)?.body ?? {};
    assert.equal(byUrl.Status, 'success');
    assert.equal(byUrl.JobId, jobs[0]?.JobId);
    assert.equal(byUrl.SourceURL, clipUrl);
    assert.equal(byUrl.Size, String(clip.length));
    assert.equal(byUrl.Extend, JSON.stringify({ ref: 'row-7' }));
    const analysis = events[1]?.body ?? {};
    assert.equal(analysis.Width, '320');
    assert.equal(analysis.Height, '240');
  });
});

describe('origins that misbehave', () => {
  test('each fault ends in its documented code, retried or not as documented, without stored bytes on failure', async () => {
    const body = clip;
    const paths: Record<string, string> = {};
    const add = (name: string, setup: (path: string) => void) => {
      const path = `/faults/${name}.mp4`;
      origin.serveBytes(path, body, { contentType: 'video/mp4' });
      setup(path);
      paths[name] = origin.url(path);
    };
    add('notfound', (p) => origin.fault(p, { kind: 'status', status: 404, times: 100 }));
    add('forbidden', (p) => origin.fault(p, { kind: 'status', status: 403, times: 100 }));
    add('gone', (p) => origin.fault(p, { kind: 'status', status: 410, times: 100 }));
    add('flaky', (p) => origin.fault(p, { kind: 'status', status: 500, times: 2 }));
    // Outlasts one run's 3 quick attempts: the job runs again later and succeeds.
    add('outage', (p) => origin.fault(p, { kind: 'status', status: 503, times: 4 }));
    add('reset', (p) => origin.fault(p, { kind: 'reset', afterBytes: 50_000, times: 1 }));
    add('stall', (p) => origin.fault(p, { kind: 'stall', afterBytes: 10_000, times: 100 }));
    add('short', (p) => origin.fault(p, { kind: 'declareMore', extraBytes: 1000, times: 100 }));
    add('html', (p) => origin.fault(p, { kind: 'html', times: 100 }));
    add('redirect', (p) => origin.fault(p, { kind: 'redirect', hops: 3, times: 100 }));
    add('toomany', (p) => origin.fault(p, { kind: 'redirect', hops: 6, times: 100 }));
    add('loop', (p) => origin.fault(p, { kind: 'redirectLoop', times: 100 }));
    origin.serveGenerated('/faults/big.mp4', 6_000_000);
    paths.big = origin.url('/faults/big.mp4');

    const names = Object.keys(paths);
    const jobs = await submit(vod, names.map((n) => paths[n] ?? ''));
    const done = await settle(vod, jobs.map((j) => j.JobId), 90_000);
    const result = (name: string) => done.get(jobs[names.indexOf(name)]?.JobId ?? '');
    const expect = (name: string, status: string, errorCode?: string) => {
      const r = result(name);
      assert.equal(r?.Status, status, `${name}: ${JSON.stringify(r)}`);
      if (errorCode) assert.equal(r?.ErrorCode, errorCode, `${name}: ${JSON.stringify(r)}`);
    };
    expect('notfound', 'DOWNLOAD_FAIL', 'DownloadFailed.HttpClientError');
    expect('forbidden', 'DOWNLOAD_FAIL', 'DownloadFailed.HttpClientError');
    expect('gone', 'DOWNLOAD_FAIL', 'DownloadFailed.HttpClientError');
    for (const n of ['notfound', 'forbidden', 'gone']) assert.equal(origin.requests(`/faults/${n}.mp4`).length, 1, `${n} is not retried`);
    expect('flaky', 'SUCCESS');
    assert.equal(origin.requests('/faults/flaky.mp4').length, 3);
    expect('outage', 'SUCCESS');
    assert.equal(origin.requests('/faults/outage.mp4').length, 5);
    expect('reset', 'SUCCESS');
    const resetRequests = origin.requests('/faults/reset.mp4');
    assert.ok(resetRequests.some((r) => r.range !== undefined && /^bytes=[1-9]\d*-$/.test(r.range)), `the retry asked for a Range: ${JSON.stringify(resetRequests.map((r) => r.range))}`);
    expect('stall', 'DOWNLOAD_FAIL', 'DownloadFailed.Stalled');
    expect('short', 'DOWNLOAD_FAIL', 'DownloadFailed.LengthMismatch');
    expect('html', 'UPLOAD_FAIL', 'InvalidMediaFile');
    expect('big', 'DOWNLOAD_FAIL', 'FileSizeExceeded');
    expect('redirect', 'SUCCESS');
    expect('toomany', 'DOWNLOAD_FAIL', 'DownloadFailed.TooManyRedirects');
    expect('loop', 'DOWNLOAD_FAIL', 'DownloadFailed.RedirectLoop');

    // Successful pulls are byte-identical; failed ones left nothing stored and their video failed.
    for (const name of ['flaky', 'outage', 'reset', 'redirect']) {
      const m = await vod.call<{ Mezzanine: { FileMD5: string } }>('GetMezzanineInfo', { VideoId: result(name)?.MediaId ?? '' });
      assert.equal(m.Mezzanine.FileMD5, md5(body), name);
    }
    for (const name of ['html', 'big', 'notfound', 'stall']) {
      const videoId = result(name)?.MediaId ?? '';
      const { Video } = await vod.call<{ Video: { Status: string } }>('GetVideoInfo', { VideoId: videoId });
      assert.equal(Video.Status, 'UploadFail', name);
      const { createFsBlobStore } = await import('../../src/blob/fs-blob-store.js');
      const blobs = createFsBlobStore({ root: join(server.db.dataDir, 'media') });
      const left: string[] = [];
      for await (const e of blobs.list(`${videoId}/`)) left.push(e.key);
      await blobs.close();
      assert.deepEqual(left, [], `${name} left stored bytes`);
      const events = await listEventsForMedia(store.db, videoId);
      assert.equal(events.at(-1)?.type, 'UploadByURLComplete');
      assert.equal(events.at(-1)?.body.Status, 'fail');
      assert.equal(events.at(-1)?.body.ErrorCode, result(name)?.ErrorCode);
    }
  });
});

describe('bad requests create nothing', () => {
  test('too many URLs, no extension, malformed metadata, long fields, unknown category', async () => {
    const before = (await vod.call<{ Total: number }>('GetVideoList', { PageSize: 1 })).Total;
    const u = (i: number) => origin.url(`/x/${i}.mp4`);
    await assert.rejects(submit(vod, Array.from({ length: 21 }, (_, i) => u(i))), code('InvalidParameter.UploadURLs'));
    await assert.rejects(submit(vod, [u(1), origin.url('/x/noext')]), code('InvalidFileName.Extension'));
    await assert.rejects(submit(vod, [u(1)], { UploadMetadatas: '[{"SourceURL":' }), code('InvalidParameter.UploadMetadatas'));
    await assert.rejects(submit(vod, [u(1)], { UploadMetadatas: JSON.stringify([{ SourceURL: u(1), Title: 'x'.repeat(200) }]) }), code('LengthExceededMax'));
    await assert.rejects(submit(vod, [u(1)], { UploadMetadatas: JSON.stringify([{ SourceURL: u(1), CateId: 424242 }]) }), code('InvalidCateId.NotFound'));
    await assert.rejects(submit(vod, [u(1)], { UserData: JSON.stringify({ Extend: 'x'.repeat(600) }) }), code('LengthExceededMax'));
    await assert.rejects(submit(vod, [u(1)], { StorageLocation: 'elsewhere.example.com' }), code('InvalidStorage.NotFound'));
    await assert.rejects(submit(vod, [u(1)], { TemplateGroupId: 'no-such-group' }), code('InvalidTemplateGroupId.NotFound'));
    const afterCount = (await vod.call<{ Total: number }>('GetVideoList', { PageSize: 1 })).Total;
    assert.equal(afterCount, before);
  });

  test('SessionId: the same request within 10 minutes gets the same jobs; another request is refused', async () => {
    origin.serveBytes('/session/a.mp4', clip);
    const url = origin.url('/session/a.mp4');
    const first = await submit(vod, [url], { SessionId: 'batch-0001' });
    const again = await submit(vod, [url], { SessionId: 'batch-0001' });
    assert.deepEqual(again, first);
    await assert.rejects(submit(vod, [url, origin.url('/session/b.mp4')], { SessionId: 'batch-0001' }), code('InvalidParameter.SessionId'));
    const byUrl = await vod.call<{ URLUploadInfoList: Info[]; NonExists: string[] }>('GetURLUploadInfos', {
      UploadURLs: [url, origin.url('/session/never.mp4')].map(encodeURIComponent).join(','),
    });
    assert.deepEqual(byUrl.URLUploadInfoList.map((i) => i.JobId), first.map((j) => j.JobId));
    assert.deepEqual(byUrl.NonExists, [origin.url('/session/never.mp4')]);
    await settle(vod, first.map((j) => j.JobId));
  });
});

describe('process-level behaviour', () => {
  test('CancelUrlUploadJobs cancels pending jobs only (api-only server: nothing starts them)', async () => {
    const api = await startTestServer({ args: ['--role', 'api'] });
    try {
      const client = new VodRpcClient({ endpoint: api.url, accessKeyId: TEST_KEY_ID, accessKeySecret: TEST_KEY_SECRET });
      origin.serveBytes('/cancel/a.mp4', clip);
      const [job] = await submit(client, [origin.url('/cancel/a.mp4')]);
      const [pending] = await infos(client, [job?.JobId ?? '']);
      assert.equal(pending?.Status, 'PENDING');
      const r = await client.call<{ CanceledJobs: string[]; NonExists: string[] }>('CancelUrlUploadJobs', { JobIds: `${job?.JobId},${'0'.repeat(32)}` });
      assert.deepEqual(r.CanceledJobs, [job?.JobId]);
      assert.deepEqual(r.NonExists, ['0'.repeat(32)]);
      const [cancelled] = await infos(client, [job?.JobId ?? '']);
      assert.equal(cancelled?.Status, 'DOWNLOAD_FAIL');
      assert.equal(cancelled?.ErrorCode, 'UploadJobCancelled');
      const twice = await client.call<{ CanceledJobs: string[]; NotCancelableJobs: string[] }>('CancelUrlUploadJobs', { JobIds: job?.JobId ?? '' });
      assert.deepEqual(twice.CanceledJobs, []);
      assert.deepEqual(twice.NotCancelableJobs, [job?.JobId]);
    } finally {
      await api.cleanup();
    }
    assert.equal(origin.requests('/cancel/a.mp4').length, 0, 'a cancelled job never reaches the origin');
  });

  test('private addresses are refused unless allowed: no request reaches them', async () => {
    const guarded = await startTestServer({ args: ['--config', configFile] });
    try {
      const client = new VodRpcClient({ endpoint: guarded.url, accessKeyId: TEST_KEY_ID, accessKeySecret: TEST_KEY_SECRET });
      origin.serveBytes('/private/a.mp4', clip);
      const hidden = `http://localhost:${origin.port}/private/a.mp4`;
      const jobs = await submit(client, [origin.url('/private/a.mp4'), hidden]);
      const done = await settle(client, jobs.map((j) => j.JobId));
      for (const j of jobs) {
        assert.equal(done.get(j.JobId)?.Status, 'DOWNLOAD_FAIL');
        assert.equal(done.get(j.JobId)?.ErrorCode, 'URLBlocked');
      }
      assert.equal(origin.requests('/private/a.mp4').length, 0);
    } finally {
      await guarded.cleanup();
    }
  });

  test('media.tools = bundled: the npm builds analyse, so a PATH whose ffprobe and ffmpeg are broken does not matter', async () => {
    const shims = join(work, 'broken-tools');
    mkdirSync(shims, { recursive: true });
    for (const tool of ['ffprobe', 'ffmpeg']) {
      writeFileSync(join(shims, tool), '#!/bin/sh\necho "Invalid data found when processing input" >&2\nexit 1\n');
      chmodSync(join(shims, tool), 0o755);
    }
    const bundled = await startTestServer({
      env: { OPENVOD_ALLOW_PRIVATE_NETWORKS: '1', OPENVOD_MEDIA_TOOLS: 'bundled', PATH: `${shims}:${process.env.PATH ?? ''}` },
      args: ['--config', configFile],
    });
    try {
      const client = clientFor(bundled);
      origin.serveBytes('/bundled/clip.mp4', clip, { contentType: 'video/mp4' });
      const [job] = await submit(client, [origin.url('/bundled/clip.mp4')]);
      const info = (await settle(client, [job?.JobId ?? ''])).get(job?.JobId ?? '');
      assert.equal(info?.Status, 'SUCCESS', JSON.stringify(info));
      const { Video } = await client.call<{ Video: Record<string, unknown> }>('GetVideoInfo', { VideoId: info?.MediaId ?? '' });
      assert.equal(Video.Status, 'Normal');
      assert.ok(Math.abs(Number(Video.Duration) - 3) < 0.2, `duration ${String(Video.Duration)}`);
      const cover = await fetch(String(Video.CoverURL));
      assert.equal(cover.status, 200);
      assert.deepEqual([...Buffer.from(await cover.arrayBuffer()).subarray(0, 3)], [0xff, 0xd8, 0xff]);
    } finally {
      await bundled.cleanup();
    }
  });

  test('an ffprobe that crashes is retried on a later run, and one that always crashes ends the job with MediaAnalysisFailed', async () => {
    // A PATH ffprobe that dies of SIGSEGV — every time, or only on its first call — in front of
    // the real one. Each call is logged, so the runs can be counted.
    const shims = join(work, 'crashing-ffprobe');
    mkdirSync(shims, { recursive: true });
    const real = execFileSync('sh', ['-c', 'command -v ffprobe'], { encoding: 'utf8' }).trim() || mediaTools().ffprobePath;
    writeFileSync(join(shims, 'ffprobe'), [
      '#!/bin/sh',
      `echo call >> "${shims}/calls"`,
      `if [ "$(cat "${shims}/mode")" = always ] || [ ! -e "${shims}/crashed" ]; then touch "${shims}/crashed"; kill -SEGV $$; fi`,
      `exec "${real}" "$@"`,
      '',
    ].join('\n'));
    chmodSync(join(shims, 'ffprobe'), 0o755);
    const calls = (): number => readFileSync(join(shims, 'calls'), 'utf8').split('\n').filter(Boolean).length;
    const crashing = await startTestServer({
      env: { OPENVOD_ALLOW_PRIVATE_NETWORKS: '1', PATH: `${shims}:${process.env.PATH ?? ''}` },
      args: ['--config', configFile],
    });
    try {
      const client = clientFor(crashing);
      origin.serveBytes('/crashing/clip.mp4', clip, { contentType: 'video/mp4' });

      writeFileSync(join(shims, 'mode'), 'always');
      const [failing] = await submit(client, [origin.url('/crashing/clip.mp4')]);
      const failed = (await settle(client, [failing?.JobId ?? ''])).get(failing?.JobId ?? '');
      assert.equal(failed?.Status, 'UPLOAD_FAIL', JSON.stringify(failed));
      assert.equal(failed?.ErrorCode, 'MediaAnalysisFailed');
      assert.match(failed?.ErrorMessage ?? '', /on 2 runs: ffprobe was killed by SIGSEGV/);
      assert.equal(calls(), 2, 'one probe per run, ingest.jobRunAttempts = 2 runs');
      assert.equal(origin.requests('/crashing/clip.mp4').length, 1, 'the second run reused the downloaded bytes');
      const { Video } = await client.call<{ Video: { Status: string } }>('GetVideoInfo', { VideoId: failed?.MediaId ?? '' });
      assert.equal(Video.Status, 'UploadFail');

      writeFileSync(join(shims, 'mode'), 'once');
      rmSync(join(shims, 'crashed'), { force: true });
      const [recovering] = await submit(client, [origin.url('/crashing/clip.mp4')]);
      const ok = (await settle(client, [recovering?.JobId ?? ''])).get(recovering?.JobId ?? '');
      assert.equal(ok?.Status, 'SUCCESS', JSON.stringify(ok));
      assert.equal(calls(), 4, 'the crash on the first run, then a good probe on the next');
    } finally {
      await crashing.cleanup();
    }
  });

  test('a server killed with SIGKILL mid-download resumes with Range after restart; bytes identical', async () => {
    const big = Buffer.concat([clip, generatedBytes(2_000_000)]);
    origin.serveBytes('/crash/slow.mp4', big, { contentType: 'video/mp4' });
    origin.fault('/crash/slow.mp4', { kind: 'drip', bytesPerTick: 32 * 1024, intervalMs: 25, times: 1 });
    const db = await createTestDatabase();
    const first = await startTestServer({ db, env: { OPENVOD_ALLOW_PRIVATE_NETWORKS: '1' }, args: ['--config', configFile] });
    let jobId = '';
    try {
      const client = new VodRpcClient({ endpoint: first.url, accessKeyId: TEST_KEY_ID, accessKeySecret: TEST_KEY_SECRET });
      [{ JobId: jobId }] = (await submit(client, [origin.url('/crash/slow.mp4')])) as [{ JobId: string; SourceURL: string }];
      await waitFor(async () => Number((await infos(client, [jobId]))[0]?.BytesFetched ?? 0) > 200_000, 30_000);
      await first.kill('SIGKILL');
    } finally {
      await first.cleanup();
    }
    const fetchedBeforeCrash = origin.requests('/crash/slow.mp4').length;
    assert.equal(fetchedBeforeCrash, 1);
    const second = await startTestServer({ db, env: { OPENVOD_ALLOW_PRIVATE_NETWORKS: '1' }, args: ['--config', configFile] });
    try {
      const client = new VodRpcClient({ endpoint: second.url, accessKeyId: TEST_KEY_ID, accessKeySecret: TEST_KEY_SECRET });
      const done = await settle(client, [jobId], 60_000);
      assert.equal(done.get(jobId)?.Status, 'SUCCESS', JSON.stringify(done.get(jobId)));
      const resumed = origin.requests('/crash/slow.mp4').slice(1);
      assert.ok(resumed.length >= 1);
      assert.match(resumed[0]?.range ?? '', /^bytes=[1-9]\d*-$/, 'the fetch resumed with a Range instead of starting over');
      assert.ok(resumed[0]?.ifRange, 'and with If-Range');
      const m = await client.call<{ Mezzanine: { FileMD5: string; Size: number } }>('GetMezzanineInfo', { VideoId: done.get(jobId)?.MediaId ?? '' });
      assert.equal(m.Mezzanine.Size, big.length);
      assert.equal(m.Mezzanine.FileMD5, md5(big));
    } finally {
      await second.stop();
      await db.cleanup();
    }
  });
});
