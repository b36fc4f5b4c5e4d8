// The analysis of an uploaded video (media.analyse-upload), run on a real store (SQLite, or the
// PostgreSQL of OPENVOD_TEST_DATABASE_URL), the real fs blob store and real ffprobe/ffmpeg. A
// video uploaded in parts reaches it without a FileMD5 (CompleteMultipartUpload does not read the
// object): the analysis computes it. And it applies its results only to the upload it analysed —
// a newer upload that lands while it runs is left to its own job, whose bytes it never removes.
// The newer upload is made to land inside the analysis by an ffprobe wrapper that signals, then
// waits a second, before running the real ffprobe or before answering.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BlobStore } from '../../src/blob/blob-store.js';
import type { JobContext } from '../../src/jobs/job-registry.js';
import { silentLogger } from '../../src/logger.js';
import { openStorages } from '../../src/storage/storage-registry.js';
import type { StorageRegistry } from '../../src/storage/storage-registry.js';
import type { Store } from '../../src/store/db.js';
import { insertUploadObject } from '../../src/uploads/upload.repository.js';
import { uploadAnalyseHandler, type UploadAnalyseDeps } from '../../src/uploads/upload-analyse.handler.js';
import { findVideo } from '../../src/videos/video.repository.js';
import { captureLogger, waitFor } from '../jobs/job-test-kit.js';
import { makeHtml, makeVideo, mediaTools } from '../helpers/media-fixtures.js';
import { seedVideo } from '../helpers/seed.js';
import { createTestStore } from '../helpers/store.js';

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');
const work = mkdtempSync(join(tmpdir(), 'openvod-upload-analyse-'));

let store: Store;
let cleanupStore: () => Promise<void>;
let storages: StorageRegistry;
let blobs: BlobStore;
let clipA: Buffer;
let clipB: Buffer;
let html: Buffer;

before(async () => {
  const t = await createTestStore();
  store = t.store;
  cleanupStore = t.cleanup;
  storages = await openStorages({ dataDir: t.dataDir, storages: [], log: silentLogger() });
  blobs = storages.own.blobs;
  clipA = readFileSync(await makeVideo(work, { seconds: 2, width: 320, height: 240 }));
  clipB = readFileSync(await makeVideo(work, { seconds: 3, width: 160, height: 120 }));
  html = readFileSync(await makeHtml(work));
});
after(async () => {
  await storages?.close();
  await cleanupStore?.();
});

let seq = 0;
/**
 * An ffprobe that touches `marker`, then waits a second: before it reads the file ('before'), or
 * after it has read it and before it answers ('after').
 */
function slowFfprobe(marker: string, when: 'before' | 'after'): string {
  const path = join(work, `ffprobe-slow-${++seq}.sh`);
  const ffprobe = mediaTools().ffprobePath;
  writeFileSync(path, when === 'before'
    ? `#!/bin/sh\ntouch '${marker}'\nsleep 1\nexec '${ffprobe}' "$@"\n`
    : `#!/bin/sh\nout=$('${ffprobe}' "$@")\ncode=$?\ntouch '${marker}'\nsleep 1\nprintf '%s' "$out"\nexit $code\n`);
  chmodSync(path, 0o755);
  return path;
}

function deps(overrides: Partial<UploadAnalyseDeps> = {}): UploadAnalyseDeps {
  return {
    config: { publicUrl: 'http://127.0.0.1:9' }, store, blobs, storages, log: silentLogger(), clock: Date.now,
    stagingDir: join(work, 'staging'), ...mediaTools(), coverMaxWidth: 640, ...overrides,
  };
}

function jobContext(): JobContext {
  return {
    jobId: `job-${++seq}`, kind: 'media.analyse-upload', attempt: 1, maxAttempts: 5, signal: new AbortController().signal,
    heartbeat: async () => undefined, log: captureLogger(),
  };
}

/**
 * What a Complete does to the store for `bytes`: the file moved in without its MD5, the upload
 * object's row rewritten, the video UploadSucc without FileMD5.
 */
async function landUpload(videoId: string, bytes: Buffer, storedAtMs: number, etag: string): Promise<void> {
  const file = join(work, `upload-${++seq}`);
  writeFileSync(file, bytes);
  await blobs.putFile(`${videoId}/source.mp4`, file, { move: true, skipMd5: true });
  await store.db.updateTable('upload_objects').set({ size: bytes.length, etag, stored_at_ms: storedAtMs }).where('media_id', '=', videoId).execute();
  await store.db.updateTable('videos').set({ status: 'UploadSucc', size: bytes.length, file_md5: null, storage_key: `${videoId}/source.mp4` })
    .where('video_id', '=', videoId).execute();
}

async function uploadedVideo(bytes: Buffer): Promise<string> {
  const v = await seedVideo(store.db, { status: 'Uploading', file_name: 'clip.mp4' });
  const now = Date.now();
  await insertUploadObject(store.db, {
    object_key: `sv/${v.video_id}/clip.mp4`, bucket: 'outin-test', media_type: 'video', media_id: v.video_id, app_id: v.app_id,
    blob_key: `${v.video_id}/source.mp4`, content_type: 'video/mp4', size: null, etag: null, content_md5: null, crc64: null,
    object_type: null, stored_at_ms: null, created_at_ms: now,
  });
  await landUpload(v.video_id, bytes, now, 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA-2');
  return v.video_id;
}

test('a video uploaded in parts gets its FileMD5 from the analysis, and becomes Normal', async () => {
  const videoId = await uploadedVideo(clipA);
  assert.deepEqual(await uploadAnalyseHandler(deps()).handle({ videoId }, jobContext()), { kind: 'done' });
  const v = await findVideo(store.db, videoId);
  assert.equal(v?.status, 'Normal');
  assert.equal(v?.file_md5, md5(clipA));
  assert.equal(v?.size, clipA.length);
  assert.equal(v?.width, 320);
});

test('a newer upload landing during the analysis: the first job drops its results, the newer one applies its own', async () => {
  const videoId = await uploadedVideo(clipA);
  const marker = join(work, `probing-${++seq}`);
  const first = uploadAnalyseHandler(deps({ ffprobePath: slowFfprobe(marker, 'before') })).handle({ videoId }, jobContext());
  await waitFor('the analysis to start ffprobe', () => existsSync(marker), { timeoutMs: 30_000 });
  await landUpload(videoId, clipB, Date.now() + 1, 'BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB-3');
  assert.deepEqual(await first, { kind: 'done' });
  const between = await findVideo(store.db, videoId);
  assert.equal(between?.status, 'UploadSucc', 'the first job must not make the newer upload Normal');
  assert.equal(between?.file_md5, null);

  await uploadAnalyseHandler(deps()).handle({ videoId }, jobContext());
  const v = await findVideo(store.db, videoId);
  assert.equal(v?.status, 'Normal');
  assert.equal(v?.file_md5, md5(clipB));
  assert.equal(v?.width, 160);
});

test('not media: UploadFail and the analysed bytes removed', async () => {
  const videoId = await uploadedVideo(html);
  await uploadAnalyseHandler(deps()).handle({ videoId }, jobContext());
  const v = await findVideo(store.db, videoId);
  assert.equal(v?.status, 'UploadFail');
  assert.equal(v?.storage_key, null);
  assert.equal(await blobs.stat(`${videoId}/source.mp4`), null);
});

test('not media, and a newer upload\'s bytes landed meanwhile (its Complete not yet recorded): those bytes stay', async () => {
  const videoId = await uploadedVideo(html);
  const marker = join(work, `probing-${++seq}`);
  const first = uploadAnalyseHandler(deps({ ffprobePath: slowFfprobe(marker, 'after') })).handle({ videoId }, jobContext());
  await waitFor('ffprobe to have read the file', () => existsSync(marker), { timeoutMs: 30_000 });
  const newer = join(work, `newer-${++seq}`);
  copyFileSync(await makeVideo(work, { seconds: 3, width: 160, height: 120 }), newer);
  await blobs.putFile(`${videoId}/source.mp4`, newer, { move: true, skipMd5: true });
  await first;
  assert.equal((await findVideo(store.db, videoId))?.status, 'UploadFail');
  const kept = await blobs.stat(`${videoId}/source.mp4`);
  assert.equal(kept?.size, clipB.length, 'the newer upload\'s bytes were removed');
});
