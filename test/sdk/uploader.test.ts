// The SDK uploader and `openvod upload` end to end against a started server (SQLite, or Postgres
// with OPENVOD_TEST_DATABASE_URL). The server's public URL is a counting proxy in front of it, so
// RPC and OSS traffic both pass through it and every UploadPart is seen.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createReadStream, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUploader, UploadError, VodRpcClient, type SdkLogger, type UploadProgress } from '../../src/sdk/index.js';
import { makeVideo, startMediaOrigin, type MediaOrigin } from '../helpers/media-fixtures.js';
import { BIN, startTestServer, TEST_KEY_ID, TEST_KEY_SECRET, type TestServer, waitFor } from '../helpers/server.js';
import { makeBigVideo } from '../uploads/upload-kit.js';
import { startPartCountingProxy, type PartCountingProxy } from './part-counting-proxy.js';

const work = mkdtempSync(join(tmpdir(), 'openvod-sdk-'));
const configFile = join(work, 'config.json');
writeFileSync(configFile, JSON.stringify({ worker: { leaseMs: 3000, heartbeatMs: 1000, pollMs: 100, concurrency: 4 } }));

let server: TestServer;
let proxy: PartCountingProxy;
let origin: MediaOrigin;
let vod: VodRpcClient;
let clipPath: string;
let bigPath: string;

const md5File = (path: string): string => createHash('md5').update(readFileSync(path)).digest('hex');
const keys = { accessKeyId: TEST_KEY_ID, accessKeySecret: TEST_KEY_SECRET };

before(async () => {
  clipPath = await makeVideo(work, { seconds: 3, width: 320, height: 240 });
  bigPath = await makeBigVideo(work);
  proxy = await startPartCountingProxy();
  server = await startTestServer({ args: ['--config', configFile, '--public-url', proxy.url] });
  proxy.setTarget(server.port);
  origin = await startMediaOrigin(work);
  vod = new VodRpcClient({ endpoint: proxy.url, ...keys, method: 'POST' });
});
after(async () => {
  await origin?.close();
  await server?.cleanup();
  await proxy?.close();
});

async function settledNormal(videoId: string): Promise<void> {
  let status = '';
  await waitFor(async () => {
    status = (await vod.call<{ Video: { Status: string } }>('GetVideoInfo', { VideoId: videoId })).Video.Status;
    return status === 'Normal' || status === 'UploadFail';
  }, 90_000, () => `video ${videoId} did not settle: ${status}`);
  assert.equal(status, 'Normal');
}

/** The video ended Normal, and the MD5 it stored is that of the file at `path`. */
async function storedAsFile(videoId: string, path: string): Promise<void> {
  await settledNormal(videoId);
  assert.equal(await storedMd5(videoId), md5File(path));
}

async function storedMd5(videoId: string): Promise<string> {
  const m = await vod.call<{ Mezzanine: { FileMD5: string; FileURL: string; Size: string | number } }>('GetMezzanineInfo', { VideoId: videoId });
  return m.Mezzanine.FileMD5.toLowerCase();
}

async function downloadedMd5(videoId: string): Promise<string> {
  const m = await vod.call<{ Mezzanine: { FileURL: string } }>('GetMezzanineInfo', { VideoId: videoId });
  const res = await fetch(m.Mezzanine.FileURL);
  assert.equal(res.status, 200);
  return createHash('md5').update(Buffer.from(await res.arrayBuffer())).digest('hex');
}

describe('SDK uploader', () => {
  test('uploadFile ends Normal with identical bytes, reporting progress up to the size', async () => {
    const events: UploadProgress[] = [];
    const uploader = createUploader({ endpoint: proxy.url, ...keys, checkpointDir: join(work, 'cp-file') });
    const r = await uploader.uploadFile(clipPath, { title: 'file path', tags: ['sdk', 'file'], onProgress: (p) => events.push(p) });
    const size = statSync(clipPath).size;
    assert.equal(r.size, size);
    assert.equal(events.at(-1)?.bytesSent, size);
    assert.ok(events.every((e) => e.videoId === r.videoId && e.totalBytes === size));
    await storedAsFile(r.videoId, clipPath);
    assert.equal(await downloadedMd5(r.videoId), md5File(clipPath));
    assert.deepEqual(readdirSync(join(work, 'cp-file')), [], 'the checkpoint is removed on success');
    const info = await vod.call<{ Video: { Title: string; Tags: string } }>('GetVideoInfo', { VideoId: r.videoId });
    assert.equal(info.Video.Title, 'file path');
  });

  test('a multipart file upload (≥ 30 MB) refreshing its credential on the way ends Normal with identical bytes', async () => {
    const lines: string[] = [];
    const logger: SdkLogger = { debug: (_o, m) => lines.push(m), info: (_o, m) => lines.push(m), warn: (_o, m) => lines.push(m) };
    // A margin longer than the credential's life: every request finds it near expiry.
    const uploader = createUploader({ endpoint: proxy.url, ...keys, partSize: 4 * 1024 * 1024, parallel: 3, logger, credentialRefreshMarginMs: 10 * 3600_000 });
    proxy.reset();
    const r = await uploader.uploadFile(bigPath, { title: 'big file' });
    assert.ok(lines.includes('upload credential refreshed'), lines.join('\n'));
    assert.equal(proxy.parts.length, Math.ceil(statSync(bigPath).size / (4 * 1024 * 1024)));
    await storedAsFile(r.videoId, bigPath);
  });

  test('uploadStream of unknown size sends bounded parts and ends Normal with identical bytes and MD5', async () => {
    const uploader = createUploader({ endpoint: proxy.url, ...keys, partSize: 1024 * 1024, parallel: 2 });
    proxy.reset();
    const r = await uploader.uploadStream(createReadStream(bigPath, { highWaterMark: 256 * 1024 }), { fileName: 'noise.mp4', title: 'stream path' });
    const size = statSync(bigPath).size;
    assert.equal(r.size, size);
    assert.equal(r.md5, md5File(bigPath));
    assert.equal(proxy.parts.length, Math.ceil(size / (1024 * 1024)));
    await storedAsFile(r.videoId, bigPath);
  });

  test('uploadStream without a partSize holds 4 MiB parts (the memory bound), and still ends Normal', async () => {
    const uploader = createUploader({ endpoint: proxy.url, ...keys });
    proxy.reset();
    const size = statSync(bigPath).size;
    const r = await uploader.uploadStream(createReadStream(bigPath), { fileName: 'noise.mp4', size });
    assert.equal(proxy.parts.length, Math.ceil(size / (4 * 1024 * 1024)));
    await storedAsFile(r.videoId, bigPath);
  });

  test('uploadStream with chunks that straddle parts, many more parts than buffers: identical bytes', async () => {
    // 300,007-byte chunks never line up with 1 MiB parts, and ~35 parts go through the
    // parallel + 1 = 4 part buffers, each reused many times.
    const uploader = createUploader({ endpoint: proxy.url, ...keys, partSize: 1024 * 1024, parallel: 3 });
    proxy.reset();
    const size = statSync(bigPath).size;
    const r = await uploader.uploadStream(createReadStream(bigPath, { highWaterMark: 300_007 }), { fileName: 'noise.mp4', size });
    assert.equal(r.md5, md5File(bigPath));
    assert.equal(proxy.parts.length, Math.ceil(size / (1024 * 1024)));
    await storedAsFile(r.videoId, bigPath);
  });

  test('uploadStream refuses a stream that yields strings (an encoding set on it), and sends no part', async () => {
    const uploader = createUploader({ endpoint: proxy.url, ...keys });
    proxy.reset();
    await assert.rejects(
      uploader.uploadStream(createReadStream(clipPath, { encoding: 'latin1' }), { fileName: 'x.mp4' }),
      (e: unknown) => e instanceof UploadError && e.code === 'Upload.InvalidSource' && /strings/.test(e.message),
    );
    assert.equal(proxy.parts.length, 0);
  });

  test('uploadStream refuses a stream shorter than its declared size', async () => {
    const uploader = createUploader({ endpoint: proxy.url, ...keys });
    await assert.rejects(
      uploader.uploadStream(createReadStream(clipPath), { fileName: 'x.mp4', size: statSync(clipPath).size + 1 }),
      (e: unknown) => e instanceof UploadError && e.code === 'Upload.SizeMismatch',
    );
  });

  test('uploadUrl streams a remote file and ends Normal with identical bytes', async () => {
    const uploader = createUploader({ endpoint: proxy.url, ...keys, partSize: 1024 * 1024 });
    const r = await uploader.uploadUrl(origin.fileUrl(clipPath));
    assert.equal(r.size, statSync(clipPath).size);
    assert.equal(r.md5, md5File(clipPath));
    await storedAsFile(r.videoId, clipPath);
    const info = await vod.call<{ Video: { Title: string } }>('GetVideoInfo', { VideoId: r.videoId });
    assert.equal(info.Video.Title, clipPath.split('/').pop());
  });

  test('uploadUrl reports an origin error with its status', async () => {
    const uploader = createUploader({ endpoint: proxy.url, ...keys });
    await assert.rejects(uploader.uploadUrl(`${origin.url}/files/missing.mp4`),
      (e: unknown) => e instanceof UploadError && e.code === 'Upload.SourceFailed' && e.httpStatus === 404);
  });

  test('an aborted file upload rejects with Upload.Aborted and keeps its checkpoint; the next call sends only the other parts', async () => {
    const dir = join(work, 'cp-abort');
    const uploader = createUploader({ endpoint: proxy.url, ...keys, partSize: 1024 * 1024, parallel: 1, checkpointDir: dir });
    const controller = new AbortController();
    proxy.reset();
    proxy.holdAfter = 2;
    const p = uploader.uploadFile(bigPath, { title: 'aborted', signal: controller.signal });
    await waitFor(() => proxy.held > 0, 60_000);
    controller.abort();
    await assert.rejects(p, (e: unknown) => e instanceof UploadError && e.code === 'Upload.Aborted');
    proxy.reset();
    assert.equal(readdirSync(dir).filter((f) => f.endsWith('.json')).length, 1);

    const r = await createUploader({ endpoint: proxy.url, ...keys, partSize: 1024 * 1024, parallel: 2, checkpointDir: dir }).uploadFile(bigPath, { title: 'aborted' });
    assert.equal(r.resumed, true);
    const sent = proxy.parts.filter((q) => q.status === 200).map((q) => q.partNumber).sort((a, b) => a - b);
    const parts = Math.ceil(statSync(bigPath).size / (1024 * 1024));
    assert.deepEqual(sent, Array.from({ length: parts - 2 }, (_, i) => i + 3), 'parts 1 and 2 were acknowledged before the abort');
    await storedAsFile(r.videoId, bigPath);
    assert.deepEqual(readdirSync(dir), []);
  });

  test('a file part answered 503 is sent again, and the upload ends Normal with identical bytes', async () => {
    const uploader = createUploader({ endpoint: proxy.url, ...keys, partSize: 2 * 1024 * 1024, parallel: 3 });
    proxy.reset();
    proxy.failOnce = new Set([2, 5]);
    const r = await uploader.uploadFile(bigPath, { title: 'part retried' });
    const parts = Math.ceil(statSync(bigPath).size / (2 * 1024 * 1024));
    for (const n of [2, 5]) assert.deepEqual(proxy.parts.filter((q) => q.partNumber === n).map((q) => q.status), [503, 200], `part ${n}`);
    assert.equal(proxy.parts.filter((q) => q.status === 200).length, parts);
    await storedAsFile(r.videoId, bigPath);
  });
});

interface CliRun { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

function runCli(args: string[], onStdout?: (all: string) => void): { done: Promise<CliRun>; kill(sig: NodeJS.Signals): void } {
  const child = spawn(process.execPath, [BIN, 'upload', ...args], {
    env: { ...process.env, OPENVOD_ACCESS_KEY_ID: TEST_KEY_ID, OPENVOD_ACCESS_KEY_SECRET: TEST_KEY_SECRET },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); onStdout?.(stdout); });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliRun>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { done, kill: (sig) => child.kill(sig) };
}

const jsonLines = (s: string): Array<Record<string, unknown>> => s.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

describe('openvod upload (CLI)', () => {
  test('killed with SIGKILL mid-upload, a re-run resumes the same VideoId, sending only the parts the server lacks', async () => {
    const partKiB = 1024;
    const total = Math.ceil(statSync(bigPath).size / (partKiB * 1024));
    const args = [bigPath, '--title', 'resumed', '--endpoint', proxy.url, '--json', '--part-size', String(partKiB), '--parallel', '2', '--checkpoint-dir', join(work, 'cp-cli')];

    proxy.reset();
    proxy.holdAfter = 6;
    const first = runCli(args);
    await waitFor(() => proxy.held > 0, 60_000, () => 'the first run never reached the held part');
    first.kill('SIGKILL');
    const r1 = await first.done;
    assert.equal(r1.signal, 'SIGKILL');
    // Parts whose bodies were all sent before the kill are still answered: count them too.
    await proxy.idle();
    const firstAcked = new Set(proxy.parts.filter((p) => p.status === 200).map((p) => p.partNumber));
    assert.ok(firstAcked.size >= 6 && firstAcked.size < total);
    const firstVideoId = jsonLines(r1.stdout).find((l) => typeof l.VideoId === 'string')?.VideoId;
    assert.ok(firstVideoId, r1.stdout);
    proxy.reset();

    const r2 = await runCli(args).done;
    assert.equal(r2.code, 0, r2.stderr);
    const lines = jsonLines(r2.stdout);
    const last = lines.at(-1) as { VideoId: string; Size: number; Resumed: boolean };
    assert.equal(last.VideoId, firstVideoId);
    assert.equal(last.Size, statSync(bigPath).size);
    assert.equal(last.Resumed, true);
    assert.ok(lines.slice(0, -1).every((l) => l.Event === 'progress' && l.VideoId === firstVideoId));

    const second = proxy.parts.map((p) => p.partNumber);
    assert.ok(proxy.parts.every((p) => p.status === 200));
    assert.deepEqual(second.filter((n) => firstAcked.has(n)), [], 'no part the server had acknowledged was sent again');
    assert.deepEqual([...new Set([...firstAcked, ...second])].sort((a, b) => a - b), Array.from({ length: total }, (_, i) => i + 1));
    assert.equal(second.length, total - firstAcked.size);

    await storedAsFile(firstVideoId as string, bigPath);
    assert.equal(await downloadedMd5(firstVideoId as string), md5File(bigPath));
  });

  test('--json of a URL upload parses and ends with the VideoId; bad keys fail with a clear message', async () => {
    const r = await runCli([origin.fileUrl(clipPath), '--endpoint', proxy.url, '--json']).done;
    assert.equal(r.code, 0, r.stderr);
    const last = jsonLines(r.stdout).at(-1) as { VideoId: string; Size: number; MD5: string };
    assert.match(last.VideoId, /^[0-9a-f]{32}$/);
    assert.equal(last.MD5, md5File(clipPath));
    await settledNormal(last.VideoId);

    const bad = await runCli([clipPath, '--endpoint', proxy.url, '--access-key-secret', 'wrong']).done;
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /openvod upload: SignatureDoesNotMatch/);
  });
});
