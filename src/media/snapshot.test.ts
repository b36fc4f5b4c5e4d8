import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { probeMedia } from './ffprobe.js';
import { SnapshotError } from './media-errors.js';
import type { SnapshotErrorCode } from './media-errors.js';
import type { MediaInfo } from './media-info.js';
import { coverSeek, coverTimeS, grabFrame, KEYFRAME_COVER_MIN_DURATION_S, snapshotArgs } from './snapshot.js';
import { makeAudio, makeGarbage, makeVideo, mediaTools, processesMatching, startMediaOrigin, waitFor } from '../../test/helpers/media-fixtures.js';
import type { MediaOrigin } from '../../test/helpers/media-fixtures.js';

const { ffmpegPath, ffprobePath } = mediaTools();
const run = promisify(execFile);

const withDuration = (durationS: number | undefined, videoDurationS?: number): MediaInfo =>
  ({ durationS, mainVideo: videoDurationS === undefined ? undefined : { durationS: videoDurationS } } as MediaInfo);

function rejectsWith(code: SnapshotErrorCode, message?: RegExp): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.ok(err instanceof SnapshotError, `expected SnapshotError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    return true;
  };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

describe('coverTimeS (pure)', () => {
  test('10 % in, at most 10 s, 0 for short or unknown durations', () => {
    const cases: [number | undefined, number][] = [
      [undefined, 0], [0, 0], [0.04, 0], [1, 0], [1.99, 0],
      [2, 0.2], [5, 0.5], [61.3, 6.13], [100, 10], [7200, 10], [33.3333, 3.333],
      [Number.POSITIVE_INFINITY, 0], [Number.NaN, 0], [-5, 0],
    ];
    for (const [d, t] of cases) assert.equal(coverTimeS(withDuration(d)), t, `duration ${d}`);
  });

  test('prefers the main video stream duration to the container duration', () => {
    assert.equal(coverTimeS(withDuration(600, 20)), 2);
    assert.equal(coverTimeS(withDuration(20, undefined)), 2);
  });

  test('always inside the clip', () => {
    for (let d = 2; d < 300; d += 0.37) {
      const t = coverTimeS(withDuration(d));
      assert.ok(t >= 0 && t <= Math.min(d - 0.1, 10), `duration ${d} → ${t}`);
    }
  });
});

describe('coverSeek (pure)', () => {
  test('the first keyframe from 20 s of video up, the exact frame below it or with no duration', () => {
    assert.equal(KEYFRAME_COVER_MIN_DURATION_S, 20);
    const cases: [number | undefined, number | undefined, string][] = [
      [undefined, undefined, 'exact'], [19.99, undefined, 'exact'], [20, undefined, 'keyframe'], [7200, undefined, 'keyframe'],
      [600, 10, 'exact'], [10, 600, 'keyframe'], [Number.POSITIVE_INFINITY, undefined, 'exact'], [Number.NaN, undefined, 'exact'],
    ];
    for (const [d, video, seek] of cases) assert.equal(coverSeek(withDuration(d, video)), seek, `duration ${d}, video ${video}`);
  });
});

describe('snapshotArgs (pure)', () => {
  test('fast input seek, one frame, downscale keeping the display aspect, mjpeg q3, overwrite', () => {
    const args = snapshotArgs({ source: '/data/in.mp4', timeS: 6.1234, outPath: '/tmp/cover.jpg', maxWidth: 640 });
    assert.deepEqual(args, [
      '-nostdin', '-hide_banner', '-loglevel', 'error',
      '-ss', '6.123',
      '-protocol_whitelist', 'file,crypto', '-i', 'file:/data/in.mp4',
      '-map', '0:v:0',
      '-an', '-sn', '-dn',
      '-frames:v', '1',
      '-vf', "scale=w='min(640,iw*sar)':h='ow*ih/(iw*sar)',setsar=1",
      '-c:v', 'mjpeg', '-q:v', '3',
      '-f', 'image2', '-update', '1',
      '-y', '/tmp/cover.jpg',
    ]);
    assert.ok(args.indexOf('-ss') < args.indexOf('-i'), '-ss before -i');
  });

  test('keyframe seek: the decoder skips all but keyframes and runs on one thread, before the input; exact seek does neither', () => {
    const key = snapshotArgs({ source: '/data/in.mp4', timeS: 6, outPath: '/tmp/c.jpg', maxWidth: 640, seek: 'keyframe' });
    assert.equal(key[key.indexOf('-skip_frame') + 1], 'nokey');
    assert.ok(key.indexOf('-skip_frame') < key.indexOf('-i'), 'an input option');
    const exact = snapshotArgs({ source: '/data/in.mp4', timeS: 6, outPath: '/tmp/c.jpg', maxWidth: 640 });
    const at = exact.indexOf('-ss');
    assert.deepEqual(key, [...exact.slice(0, at), '-skip_frame', 'nokey', '-threads', '1', ...exact.slice(at)], 'and one decoding thread');
    assert.deepEqual(snapshotArgs({ source: '/data/in.mp4', timeS: 6, outPath: '/tmp/c.jpg', maxWidth: 640, seek: 'exact' }), exact);
    assert.ok(!exact.includes('-skip_frame') && !exact.includes('-threads'));
  });

  test('a chosen stream, a negative time clamped to 0, an http source with network options', () => {
    const args = snapshotArgs({ source: 'https://o.example/v.mp4', timeS: -3, outPath: 'o.jpg', maxWidth: 320.7, streamIndex: 2 });
    assert.equal(args[args.indexOf('-ss') + 1], '0.000');
    assert.equal(args[args.indexOf('-map') + 1], '0:2');
    assert.ok(args.includes('-rw_timeout'));
    assert.equal(args[args.indexOf('-i') + 1], 'https://o.example/v.mp4');
    assert.match(args[args.indexOf('-vf') + 1]!, /min\(320,/);
  });
});

describe('grabFrame on real files', () => {
  let dir: string;
  let origin: MediaOrigin;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'openvod-snapshot-'));
    origin = await startMediaOrigin(dir);
  });
  after(async () => {
    await origin.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function assertJpeg(path: string, maxWidth: number): Promise<{ width: number; height: number }> {
    const bytes = await readFile(path);
    assert.deepEqual([...bytes.subarray(0, 3)], [0xff, 0xd8, 0xff], 'JPEG magic');
    const { stdout } = await run(ffprobePath, ['-v', 'error', '-show_entries', 'stream=codec_name,width,height', '-of', 'json', path]);
    const stream = (JSON.parse(stdout) as { streams: { codec_name: string; width: number; height: number }[] }).streams[0]!;
    assert.equal(stream.codec_name, 'mjpeg');
    assert.ok(stream.width <= maxWidth, `width ${stream.width} ≤ ${maxWidth}`);
    return { width: stream.width, height: stream.height };
  }

  test('writes a JPEG no wider than maxWidth, keeping the aspect ratio', async () => {
    const source = await makeVideo(dir, { container: 'mp4', seconds: 3, width: 640, height: 360 });
    const info = await probeMedia(source, { ffprobePath });
    const outPath = join(dir, 'cover.jpg');
    await grabFrame({ ffmpegPath, source, timeS: coverTimeS(info), outPath, maxWidth: 320, streamIndex: info.mainVideo?.index });
    assert.deepEqual(await assertJpeg(outPath, 320), { width: 320, height: 180 });
  });

  test('never upscales; default maxWidth', async () => {
    const source = await makeVideo(dir, { container: 'webm', width: 320, height: 240 });
    const outPath = join(dir, 'small.jpg');
    await grabFrame({ ffmpegPath, source, timeS: 0.5, outPath });
    assert.deepEqual(await assertJpeg(outPath, 1280), { width: 320, height: 240 });
  });

  test('rotated video comes out upright', async () => {
    const source = await makeVideo(dir, { container: 'mp4', width: 320, height: 240, rotate: 90 });
    const outPath = join(dir, 'portrait.jpg');
    await grabFrame({ ffmpegPath, source, timeS: 0.2, outPath, maxWidth: 200 });
    assert.deepEqual(await assertJpeg(outPath, 200), { width: 200, height: 266 });
  });

  test('a seek past the end retries at t=0 (and a stale file never passes for a frame)', async () => {
    const source = await makeVideo(dir, { container: 'mp4', seconds: 1 });
    const outPath = join(dir, 'late.jpg');
    await writeFile(outPath, 'stale');
    await grabFrame({ ffmpegPath, source, timeS: 3600, outPath, maxWidth: 160 });
    await assertJpeg(outPath, 160);
  });

  describe('keyframe seek', () => {
    // 12 s: red 0–4 s, green 4–8 s, blue 8–12 s; keyframes at 0 s and 5 s only (no scene-cut ones).
    let source: string;
    before(async () => {
      source = join(dir, 'segments.mp4');
      const segment = (c: string): string => `color=c=${c}:s=160x120:r=25:d=4`;
      await run(ffmpegPath, [
        '-v', 'error', '-y', '-f', 'lavfi', '-i', `${segment('red')}[r];${segment('green')}[g];${segment('blue')}[b];[r][g][b]concat=n=3:v=1:a=0`,
        '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '1000', '-keyint_min', '1000', '-sc_threshold', '0', '-force_key_frames', '0,5',
        source,
      ]);
      const { stdout } = await run(ffprobePath, ['-v', 'error', '-select_streams', 'v:0', '-skip_frame', 'nokey', '-show_entries', 'frame=pts_time', '-of', 'csv=p=0', source]);
      assert.deepEqual((stdout.match(/\d+(?:\.\d+)?/g) ?? []).map(Number), [0, 5], 'the fixture has keyframes at 0 s and 5 s only');
    });

    /** The picture's colour: the channel that dominates its average pixel. */
    async function colourOf(jpeg: string): Promise<'red' | 'green' | 'blue'> {
      const { stdout } = await run(ffmpegPath, ['-v', 'error', '-i', jpeg, '-vf', 'scale=1:1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { encoding: 'buffer' });
      const [r = 0, g = 0, b = 0] = [...stdout];
      return r > g && r > b ? 'red' : g > b ? 'green' : 'blue';
    }

    test('takes the first keyframe at or after the time, not the frame at it', async () => {
      const key = join(dir, 'key.jpg');
      await grabFrame({ ffmpegPath, source, timeS: 2, seek: 'keyframe', outPath: key, maxWidth: 160 });
      assert.equal(await colourOf(key), 'green', 'the keyframe at 5 s');
      const exact = join(dir, 'exact.jpg');
      await grabFrame({ ffmpegPath, source, timeS: 2, outPath: exact, maxWidth: 160 });
      assert.equal(await colourOf(exact), 'red', 'the frame at 2 s');
    });

    test('no keyframe after the time: the exact frame at it', async () => {
      const late = join(dir, 'late-key.jpg');
      await grabFrame({ ffmpegPath, source, timeS: 9, seek: 'keyframe', outPath: late, maxWidth: 160 });
      assert.equal(await colourOf(late), 'blue', 'the frame at 9 s');
    });
  });

  test('over http', async () => {
    const source = await makeVideo(dir, { container: 'mp4', seconds: 2 });
    const outPath = join(dir, 'http.jpg');
    await grabFrame({ ffmpegPath, source: origin.fileUrl(source, 'auth_key=1-0-0-x'), timeS: 1, outPath, maxWidth: 160 });
    await assertJpeg(outPath, 160);
  });

  test('audio-only media has no frame: SnapshotFailed, no file left', async () => {
    const source = await makeAudio(dir, { format: 'm4a' });
    const outPath = join(dir, 'audio.jpg');
    await assert.rejects(grabFrame({ ffmpegPath, source, timeS: 0.5, outPath }), rejectsWith('SnapshotFailed', /No frame from .*audio-2s\.m4a at 0\.5 s nor at 0 s/));
    assert.equal(await exists(outPath), false);
  });

  test('garbage: SnapshotFailed with ffmpeg stderr in the message', async () => {
    const outPath = join(dir, 'garbage.jpg');
    await assert.rejects(grabFrame({ ffmpegPath, source: await makeGarbage(dir, 4096), timeS: 0, outPath }), rejectsWith('SnapshotFailed', /Invalid data/));
    assert.equal(await exists(outPath), false);
  });

  test('ffmpeg that cannot be started → SnapshotFailed', async () => {
    await assert.rejects(
      grabFrame({ ffmpegPath: join(dir, 'no-ffmpeg'), source: await makeVideo(dir), timeS: 0, outPath: join(dir, 'x.jpg') }),
      rejectsWith('SnapshotFailed', /ENOENT/),
    );
  });

  test('a stalled source hits the timeout: SnapshotTimeout, ffmpeg killed, no retry', async () => {
    const token = randomUUID();
    const started = Date.now();
    await assert.rejects(
      grabFrame({ ffmpegPath, source: origin.stallUrl(token), timeS: 5, outPath: join(dir, 'stall.jpg'), timeoutMs: 300 }),
      rejectsWith('SnapshotTimeout'),
    );
    assert.ok(Date.now() - started < 3000, 'no second attempt after a timeout');
    assert.deepEqual(processesMatching(token), []);
  });

  test('abort mid-run: Cancelled, ffmpeg killed, nothing left running, no retry', async () => {
    const token = randomUUID();
    const outPath = join(dir, `${token}.jpg`);
    const controller = new AbortController();
    const grabbing = grabFrame({ ffmpegPath, source: origin.stallUrl(token), timeS: 5, outPath, signal: controller.signal });
    assert.ok(await waitFor(() => processesMatching(token).length === 1), 'ffmpeg is running');
    const reason = new Error('job cancelled');
    controller.abort(reason);
    await assert.rejects(grabbing, (err: unknown) => {
      rejectsWith('Cancelled')(err);
      assert.equal((err as Error).cause, reason);
      return true;
    });
    assert.deepEqual(processesMatching(token), []);
    assert.equal(await exists(outPath), false);
  });
});
