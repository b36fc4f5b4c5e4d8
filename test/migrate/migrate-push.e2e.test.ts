// push from a local directory (dir:): the bytes streamed through the SDK's upload, each video
// verified against what was sent; killed mid-upload and killed inside CreateUploadVideo, then
// run again — every file on the target exactly once, no half-uploaded video left behind.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeAudio, makeVideo } from '../helpers/media-fixtures.js';
import { md5Hex } from '../helpers/origin.js';
import { allVideos, byId, ledgerRows, runCli, startTarget, targetKeys, workDir, type Target } from './migrate-kit.js';

const dir = workDir('migrate-push');
let target: Target;
let clipPath: string;
let songPath: string;

before(async () => {
  clipPath = await makeVideo(dir, { seconds: 1, width: 160, height: 120 });
  songPath = await makeAudio(dir, { seconds: 1, format: 'mp3' });
  target = await startTarget(dir);
});
after(async () => {
  await target?.server.cleanup();
});

function tree(name: string, files: number): string {
  const root = join(dir, name);
  mkdirSync(join(root, 'nested', 'deeper'), { recursive: true });
  for (let i = 0; i < files; i++) copyFileSync(clipPath, join(root, i % 2 ? 'nested' : '', `clip-${i}.mp4`));
  copyFileSync(songPath, join(root, 'nested', 'deeper', 'song.mp3'));
  writeFileSync(join(root, 'notes.txt'), 'not media');
  return root;
}

const args = (root: string, ledger: string): string[] =>
  ['--source', `dir:${root}`, '--endpoint', target.url, '--state', ledger, ...targetKeys, '--poll-interval', '0.2', '--concurrency', '2', '--json'];

async function videosOf(ledger: string): Promise<Array<{ VideoId: string; Status: string; Size?: number }>> {
  const ids = new Set(ledgerRows(ledger).map((r) => r.video_id));
  return (await allVideos(target.vod)).filter((v) => ids.has(v.VideoId));
}

describe('push from a directory', () => {
  test('every media file becomes a video, verified against the bytes sent; an empty file is skipped', async () => {
    const root = tree('plain', 3);
    writeFileSync(join(root, 'empty.mp4'), '');
    const ledger = join(dir, 'plain.sqlite');
    const r = await runCli(args(root, ledger));
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const rows = byId(ledgerRows(ledger));
    assert.deepEqual([...rows.keys()].sort(), ['clip-0.mp4', 'clip-2.mp4', 'empty.mp4', 'nested/clip-1.mp4', 'nested/deeper/song.mp3']);
    assert.equal(rows.get('empty.mp4')?.state, 'skipped');
    const clip = readFileSync(clipPath);
    for (const id of ['clip-0.mp4', 'clip-2.mp4', 'nested/clip-1.mp4']) {
      const row = rows.get(id);
      assert.equal(row?.state, 'succeeded', JSON.stringify(row));
      assert.equal(row?.method, 'push');
      assert.equal(row?.pushed_size, clip.length);
      assert.equal(row?.pushed_md5, md5Hex(clip));
      assert.equal(row?.target_md5, md5Hex(clip));
    }
    const song = await target.vod.call<{ Video: { Title: string; Status: string; Size: number } }>('GetVideoInfo', { VideoId: rows.get('nested/deeper/song.mp3')?.video_id ?? '' });
    assert.equal(song.Video.Title, 'song');
    assert.equal(song.Video.Status, 'Normal');
    assert.equal(song.Video.Size, readFileSync(songPath).length);
    assert.equal((await videosOf(ledger)).length, 4);
  });

  test('killed mid-upload (VideoId recorded): the half-sent video is deleted and the file sent again', async () => {
    const root = tree('mid', 4);
    const ledger = join(dir, 'mid.sqlite');
    const first = await runCli(args(root, ledger), { OPENVOD_MIGRATE_TEST_CRASH: 'after-video-recorded:2' });
    assert.equal(first.signal, 'SIGKILL', first.stderr);
    const cut = ledgerRows(ledger).filter((x) => x.state === 'submitting' && x.video_id !== null);
    assert.ok(cut.length >= 1);
    const cutIds = new Set(cut.map((x) => x.video_id));
    const second = await runCli(args(root, ledger));
    assert.equal(second.code, 0, `${second.stdout}\n${second.stderr}`);
    assert.ok(second.events.some((e) => e.Event === 'requeued' && /cut off/.test(String(e.Reason))), JSON.stringify(second.events.filter((e) => e.Event === 'requeued')));
    const all = await allVideos(target.vod);
    for (const id of cutIds) assert.ok(!all.some((v) => v.VideoId === id), `${id} was deleted`);
    const rows = ledgerRows(ledger);
    assert.equal(rows.length, 5);
    assert.ok(rows.every((x) => x.state === 'succeeded'));
    const mine = await videosOf(ledger);
    assert.equal(mine.length, 5);
    assert.ok(mine.every((v) => v.Status === 'Normal'));
  });

  test('killed before the VideoId reached the ledger: the orphan is found by its marker and deleted', async () => {
    const before = new Set((await allVideos(target.vod)).map((v) => v.VideoId));
    const root = tree('orphan', 2);
    const ledger = join(dir, 'orphan.sqlite');
    const first = await runCli(args(root, ledger), { OPENVOD_MIGRATE_TEST_CRASH: 'before-video-recorded:1' });
    assert.equal(first.signal, 'SIGKILL', first.stderr);
    const orphans = (await allVideos(target.vod)).filter((v) => !before.has(v.VideoId));
    assert.ok(orphans.length >= 1 && orphans.every((v) => v.Status === 'Uploading'));
    assert.ok(ledgerRows(ledger).every((x) => x.video_id === null));
    const second = await runCli(args(root, ledger));
    assert.equal(second.code, 0, `${second.stdout}\n${second.stderr}`);
    const now = (await allVideos(target.vod)).filter((v) => !before.has(v.VideoId));
    assert.equal(now.length, 3, JSON.stringify(now));
    assert.ok(now.every((v) => v.Status === 'Normal'));
    for (const o of orphans) assert.ok(!now.some((v) => v.VideoId === o.VideoId));
  });
});
