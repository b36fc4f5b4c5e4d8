// An S3 bucket (s3rver) onto a started OpenVOD: pull with URLs presigned just before each
// submission (MD5 from the single-part ETags verified on the target), and register in place
// from the same bucket declared as a target storage — which is idempotent by FileURL: a second
// migration with a fresh ledger finds the same media instead of making new ones.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { makeAudio, makeVideo } from '../helpers/media-fixtures.js';
import { md5Hex } from '../helpers/origin.js';
import { startS3rver, type S3rverInstance } from '../helpers/s3rver.js';
import { allVideos, byId, ledgerRows, runCli, startTarget, targetKeys, workDir, type Target } from './migrate-kit.js';

const dir = workDir('migrate-s3');
const LOCATION = 'library.s3.test';
let s3: S3rverInstance;
let target: Target;
let clip: Buffer;
let song: Buffer;

before(async () => {
  clip = readFileSync(await makeVideo(dir, { seconds: 1, width: 160, height: 120 }));
  song = readFileSync(await makeAudio(dir, { seconds: 1, format: 'mp3' }));
  s3 = await startS3rver({ buckets: ['library'] });
  const client = new S3Client({ endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });
  for (const [Key, Body] of [['shows/a.mp4', clip], ['shows/season 2/b.mp4', clip], ['shows/theme.mp3', song], ['shows/readme.txt', Buffer.from('not media')]] as const) {
    await client.send(new PutObjectCommand({ Bucket: 'library', Key, Body }));
  }
  client.destroy();
  target = await startTarget(dir, {
    storages: [{
      type: 's3', location: LOCATION, endpoint: s3.endpoint, bucket: 'library', region: s3.region,
      accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, forcePathStyle: true,
    }],
  });
});
after(async () => {
  await target?.server.cleanup();
  await s3?.stop();
});

const s3Args = (): string[] => ['--s3-endpoint', s3.endpoint, '--s3-region', s3.region, '--s3-access-key-id', s3.accessKeyId, '--s3-secret-access-key', s3.secretAccessKey];
const run = (ledger: string, extra: string[]) =>
  runCli(['--source', 's3://library/shows/', ...s3Args(), '--endpoint', target.url, '--state', join(dir, ledger), ...targetKeys, '--poll-interval', '0.2', '--json', ...extra]);

describe('from an S3 bucket', () => {
  test('pull: presigned URLs, every object once, MD5 verified', async () => {
    const r = await run('pull.sqlite', ['--method', 'pull']);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const rows = byId(ledgerRows(join(dir, 'pull.sqlite')));
    assert.deepEqual([...rows.keys()].sort(), ['shows/a.mp4', 'shows/season 2/b.mp4', 'shows/theme.mp3']);
    for (const [key, bytes] of [['shows/a.mp4', clip], ['shows/season 2/b.mp4', clip], ['shows/theme.mp3', song]] as const) {
      const row = rows.get(key);
      assert.equal(row?.state, 'succeeded', JSON.stringify(row));
      assert.equal(row?.source_md5, md5Hex(bytes));
      assert.equal(row?.target_md5, md5Hex(bytes));
      assert.match(row?.submitted_url ?? '', /X-Amz-Signature=/);
    }
  });

  test('register: the objects become media in place; registering again finds the same media', async () => {
    const before = (await allVideos(target.vod)).length;
    const r = await run('register.sqlite', ['--method', 'register', '--storage-location', LOCATION]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const rows = ledgerRows(join(dir, 'register.sqlite'));
    assert.equal(rows.length, 3);
    for (const row of rows) {
      assert.equal(row.state, 'succeeded', JSON.stringify(row));
      assert.equal(row.method, 'register');
      assert.equal(decodeURI(row.submitted_url ?? ''), `http://${LOCATION}/${row.item_id}`);
    }
    assert.equal((await allVideos(target.vod)).length, before + 3);

    const again = await run('register-again.sqlite', ['--method', 'register', '--storage-location', LOCATION]);
    assert.equal(again.code, 0, `${again.stdout}\n${again.stderr}`);
    const first = new Map(rows.map((x) => [x.item_id, x.video_id]));
    for (const row of ledgerRows(join(dir, 'register-again.sqlite'))) assert.equal(row.video_id, first.get(row.item_id));
    assert.equal((await allVideos(target.vod)).length, before + 3);
  });
});
