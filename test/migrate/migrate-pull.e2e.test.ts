// `openvod migrate` from a URL list (CSV with the user's own column) by pull, end to end: a real
// target, a loopback origin with a missing file (404) and a flaky one (500, then fine); the
// ledger's states, the exit status, the export; then --retry-failed once the broken source is
// fixed, and --dry-run.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeAudio, makeVideo } from '../helpers/media-fixtures.js';
import { md5Hex, startOrigin, type Origin } from '../helpers/origin.js';
import {
  allVideos, byId, csv, jobsFor, ledgerRows, parseCsv, runCli, startTarget, targetKeys, workDir, type Target,
} from './migrate-kit.js';

const dir = workDir('migrate-pull');
let target: Target;
let origin: Origin;
let clip: Buffer;
let song: Buffer;
const list = join(dir, 'library.csv');
const ledger = join(dir, 'ledger.sqlite');

before(async () => {
  clip = readFileSync(await makeVideo(dir, { seconds: 2, width: 160, height: 120 }));
  song = readFileSync(await makeAudio(dir, { seconds: 1, format: 'mp3' }));
  origin = await startOrigin();
  target = await startTarget(dir);
  origin.serveBytes('/lib/one.mp4', clip, { contentType: 'video/mp4' });
  origin.serveBytes('/lib/two.mp4', clip, { contentType: 'video/mp4' });
  origin.serveBytes('/lib/flaky.mp4', clip, { contentType: 'video/mp4' });
  origin.fault('/lib/flaky.mp4', { kind: 'status', status: 500, times: 1 });
  origin.serveBytes('/lib/song.mp3', song, { contentType: 'audio/mpeg' });
  // /lib/missing.mp4 is not served: 404.
  writeFileSync(list, csv([
    ['SourceURL', 'Title', 'Tags', 'Description', 'FileSize', 'LegacyId'],
    [origin.url('/lib/one.mp4'), 'First, "quoted"', 'a,b', 'line one', String(clip.length), 'L-1'],
    [origin.url('/lib/two.mp4'), 'Second', '', '', '', 'L-2'],
    [origin.url('/lib/flaky.mp4'), 'Flaky', '', '', '', 'L-3'],
    [origin.url('/lib/missing.mp4'), 'Missing', '', '', '', 'L-4'],
    [origin.url('/lib/song.mp3'), '', '', '', '', 'L-5'],
  ]));
});
after(async () => {
  await target?.server.cleanup();
  await origin?.close();
});

const base = (): string[] => ['--source', `urls:${list}`, '--endpoint', target.url, '--state', ledger, ...targetKeys, '--poll-interval', '0.2'];

describe('a URL list by pull', () => {
  test('--dry-run lists what would be migrated and sends nothing', async () => {
    const r = await runCli([...base(), '--dry-run', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const items = r.events.filter((e) => e.Event === 'would-submit');
    assert.equal(items.length, 5);
    assert.deepEqual(items.map((e) => e.Action), ['new', 'new', 'new', 'new', 'new']);
    const total = r.events.find((e) => e.Event === 'dry-run');
    assert.equal(total?.Items, 5);
    assert.equal(total?.UnknownSize, 4);
    assert.equal(total?.Bytes, clip.length);
    assert.equal((await allVideos(target.vod)).length, 0);
  });

  test('migrates what it can, fails the missing one with the target\'s code, exits 1', async () => {
    const r = await runCli([...base(), '--json']);
    assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
    const summary = r.events.find((e) => e.Event === 'summary') as Record<string, unknown>;
    assert.equal(summary.Total, 5);
    assert.equal(summary.Succeeded, 4);
    assert.equal(summary.Failed, 1);
    const codes = summary.ErrorCodes as Record<string, number>;
    assert.equal(Object.values(codes).reduce((a, b) => a + b, 0), 1);

    const rows = byId(ledgerRows(ledger));
    const missing = rows.get(origin.url('/lib/missing.mp4'));
    assert.equal(missing?.state, 'failed');
    assert.ok(missing?.error_code && missing.error_code !== '200', String(missing?.error_code));
    for (const p of ['/lib/one.mp4', '/lib/two.mp4', '/lib/flaky.mp4', '/lib/song.mp3']) {
      const row = rows.get(origin.url(p));
      assert.equal(row?.state, 'succeeded', `${p}: ${JSON.stringify(row)}`);
      assert.ok(row?.video_id && row.job_id);
      assert.equal(row?.attempts, 1);
    }
    // Verified where the source said something (FileSize): the target's copy was read back.
    assert.equal(rows.get(origin.url('/lib/one.mp4'))?.target_md5, md5Hex(clip));
    assert.equal(rows.get(origin.url('/lib/one.mp4'))?.source_size, clip.length);
    assert.equal(rows.get(origin.url('/lib/song.mp3'))?.target_size, song.length);
    assert.ok(origin.requests('/lib/flaky.mp4').length >= 2, 'the flaky source was asked again');

    const one = await target.vod.call<{ Video: { Title: string; Tags: string; Description: string; Status: string } }>(
      'GetVideoInfo', { VideoId: rows.get(origin.url('/lib/one.mp4'))?.video_id ?? '' },
    );
    assert.equal(one.Video.Title, 'First, "quoted"');
    assert.equal(one.Video.Tags, 'a,b');
    assert.equal(one.Video.Description, 'line one');
    const song2 = await target.vod.call<{ Video: { Title: string } }>('GetVideoInfo', { VideoId: rows.get(origin.url('/lib/song.mp3'))?.video_id ?? '' });
    assert.equal(song2.Video.Title, 'song', 'a missing title falls back to the file name');
  });

  test('the export maps source rows and the user\'s column to videos (CSV and JSON)', async () => {
    const out = join(dir, 'map.csv');
    const r = await runCli(['export', '--state', ledger, '--format', 'csv', '--out', out, ...targetKeys]);
    assert.equal(r.code, 0, r.stderr);
    const [header, ...rows] = parseCsv(readFileSync(out, 'utf8'));
    assert.ok(header);
    const col = (name: string): number => header.indexOf(name);
    for (const c of ['SourceId', 'LegacyId', 'VideoId', 'JobId', 'PlayURL', 'CoverURL', 'Size', 'Duration', 'Status', 'ErrorCode']) assert.ok(col(c) >= 0, c);
    assert.equal(rows.length, 5);
    const first = rows.find((x) => x[col('LegacyId')] === 'L-1') as string[];
    assert.equal(first[col('Title')], 'First, "quoted"');
    assert.equal(first[col('Status')], 'succeeded');
    assert.match(first[col('PlayURL')] ?? '', /^http/);
    assert.match(first[col('CoverURL')] ?? '', /^http/);
    assert.equal(first[col('Size')], String(clip.length));
    assert.ok(Math.abs(Number(first[col('Duration')]) - 2) < 0.3);
    const play = await fetch(first[col('PlayURL')] as string);
    assert.equal(play.status, 200);
    assert.equal(Buffer.from(await play.arrayBuffer()).length, clip.length);
    const missing = rows.find((x) => x[col('LegacyId')] === 'L-4') as string[];
    assert.equal(missing[col('Status')], 'failed');
    assert.ok(missing[col('ErrorCode')]);

    const json = await runCli(['export', '--state', ledger, '--format', 'json', ...targetKeys]);
    assert.equal(json.code, 0, json.stderr);
    const parsed = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
    assert.equal(parsed.length, 5);
    assert.equal(parsed.find((x) => x.LegacyId === 'L-2')?.Status, 'succeeded');
  });

  test('status reads the ledger', async () => {
    const r = await runCli(['status', '--state', ledger, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout.trim()) as { Total: number; ByState: Record<string, number> };
    assert.equal(s.Total, 5);
    assert.equal(s.ByState.succeeded, 4);
    assert.equal(s.ByState.failed, 1);
  });

  test('a second run sends nothing again; --retry-failed after the fix migrates the rest, exactly once', async () => {
    const again = await runCli([...base(), '--json']);
    assert.equal(again.code, 1);
    assert.equal(again.events.filter((e) => e.Event === 'submitted').length, 0);

    const dry = await runCli([...base(), '--dry-run', '--json', '--retry-failed']);
    assert.deepEqual(dry.events.filter((e) => e.Event === 'would-submit').map((e) => e.Action), ['retry']);

    origin.serveBytes('/lib/missing.mp4', clip, { contentType: 'video/mp4' });
    const failedVideo = byId(ledgerRows(ledger)).get(origin.url('/lib/missing.mp4'))?.video_id;
    const r = await runCli([...base(), '--json', '--retry-failed']);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.equal(r.events.filter((e) => e.Event === 'submitted').length, 1);
    const row = byId(ledgerRows(ledger)).get(origin.url('/lib/missing.mp4'));
    assert.equal(row?.state, 'succeeded');
    assert.equal(row?.attempts, 2);

    // Exactly one video per source item: the failed attempt's video was deleted.
    const videos = await allVideos(target.vod);
    assert.equal(videos.length, 5, JSON.stringify(videos.map((v) => [v.Title, v.Status])));
    assert.ok(videos.every((v) => v.Status === 'Normal'));
    if (failedVideo) assert.ok(!videos.some((v) => v.VideoId === failedVideo));
    for (const p of ['/lib/one.mp4', '/lib/two.mp4', '/lib/flaky.mp4', '/lib/song.mp3']) assert.equal((await jobsFor(target.vod, origin.url(p))).length, 1, p);
  });
});
