// A video deleted while its bytes are still arriving, into a storage other than OpenVOD's own:
// DeleteVideo's purge runs before the object lands, so the upload itself must remove what it
// wrote when it finds the video gone — from the storage it wrote to.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '../../src/store/db.js';
import type { VodRpcClient } from '../../src/sdk/rpc-client.js';
import { makeVideo } from '../helpers/media-fixtures.js';
import { clientFor, startTestServer, type TestServer, waitFor } from '../helpers/server.js';
import { type Address, type Auth, decode, startRawOss, xmlField } from './upload-kit.js';

const work = mkdtempSync(join(tmpdir(), 'openvod-upload-race-'));
const archive = join(work, 'archive');
const configFile = join(work, 'config.json');

let server: TestServer;
let store: Store;
let vod: VodRpcClient;

before(async () => {
  mkdirSync(archive);
  writeFileSync(configFile, JSON.stringify({
    worker: { pollMs: 50, concurrency: 2 },
    storages: [{ location: 'archive.example.com', type: 'fs', root: archive, writable: true, default: true }],
  }));
  server = await startTestServer({ args: ['--config', configFile] });
  store = openStore({ databaseUrl: server.db.databaseUrl, dataDir: server.db.dataDir });
  vod = clientFor(server);
});
after(async () => {
  await store?.close();
  await server?.cleanup();
});

const tmpFiles = (): string[] => {
  const dir = join(archive, '.openvod', 'tmp');
  return existsSync(dir) ? readdirSync(dir) : [];
};

test('PutObject into another storage, video deleted and purged mid-body: AccessDenied and no object left there', async () => {
  const clip = readFileSync(await makeVideo(work, { seconds: 2, width: 320, height: 240 }));
  const r = await vod.call<{ VideoId: string; UploadAddress: string; UploadAuth: string }>('CreateUploadVideo', { Title: 'racing', FileName: 'racing.mp4' });
  const address = decode<Address>(r.UploadAddress);
  const auth = decode<Auth>(r.UploadAuth);
  const { request, response } = startRawOss({
    endpoint: address.Endpoint, method: 'PUT', key: address.FileName, bucket: address.Bucket, auth, body: clip, headers: { 'content-type': 'video/mp4' },
  });
  const half = Math.floor(clip.length / 2);
  request.write(clip.subarray(0, half));
  // The server is streaming into the archive storage (its temp file is made before the first
  // byte is taken; bytes reach it a MiB at a time): the video was alive when the body began.
  await waitFor(() => tmpFiles().length > 0, 30_000, () => 'the put did not start writing into the storage');

  await vod.call('DeleteVideo', { VideoIds: r.VideoId });
  await waitFor(async () => {
    const purges = await store.db.selectFrom('jobs').select(['payload', 'status']).where('kind', '=', 'media.purge').execute();
    return purges.some((j) => j.payload.includes(r.VideoId) && j.status === 'succeeded');
  }, 30_000, () => 'the purge did not run');

  request.end(clip.subarray(half));
  const answer = await response;
  assert.equal(answer.status, 403, answer.body);
  assert.equal(xmlField(answer.body, 'Code'), 'AccessDenied');
  assert.match(xmlField(answer.body, 'Message') ?? '', /deleted during the upload/);
  assert.deepEqual(readdirSync(archive).filter((name) => name !== '.openvod'), [], 'nothing of the deleted video is left in the storage');
  assert.deepEqual(tmpFiles(), []);
});
