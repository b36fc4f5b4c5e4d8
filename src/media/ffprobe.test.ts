// ffprobe argument building (pure) and probeMedia against real generated files and a loopback origin.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeSource, ffprobeArgs, inputArgs, probeMedia } from './ffprobe.js';
import { MediaProbeError } from './media-errors.js';
import type { MediaProbeErrorCode } from './media-errors.js';
import { formatForPlayInfo } from './media-info.js';
import {
  makeAudio,
  makeGarbage,
  makeHtml,
  makeImage,
  makeSubtitles,
  makeVideo,
  mediaTools,
  processesMatching,
  startMediaOrigin,
  waitFor,
} from '../../test/helpers/media-fixtures.js';
import type { MediaOrigin } from '../../test/helpers/media-fixtures.js';

const { ffprobePath } = mediaTools();

function rejectsWith(code: MediaProbeErrorCode, message?: RegExp): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.ok(err instanceof MediaProbeError, `expected MediaProbeError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    return true;
  };
}

describe('ffprobe arguments (pure)', () => {
  test('local path: file: protocol, file-only whitelist, json with format and streams', () => {
    assert.deepEqual(ffprobeArgs('/data/a b:c.mp4'), [
      '-hide_banner', '-v', 'error', '-print_format', 'json', '-show_format', '-show_streams',
      '-protocol_whitelist', 'file,crypto', '-i', 'file:/data/a b:c.mp4',
    ]);
    assert.deepEqual(inputArgs('-rf.mp4').slice(-2), ['-i', 'file:-rf.mp4']);
  });

  test('http(s): stall timeout in microseconds, reconnects, network-only whitelist', () => {
    const args = ffprobeArgs('https://origin.example/v.mp4?auth_key=1-0-0-abc');
    assert.deepEqual(args.slice(0, 7), ['-hide_banner', '-v', 'error', '-print_format', 'json', '-show_format', '-show_streams']);
    assert.deepEqual(args.slice(7), [
      '-rw_timeout', '15000000',
      '-reconnect', '1',
      '-reconnect_streamed', '1',
      '-reconnect_delay_max', '4',
      '-protocol_whitelist', 'http,https,tcp,tls,crypto',
      '-i', 'https://origin.example/v.mp4?auth_key=1-0-0-abc',
    ]);
    assert.equal(inputArgs('HTTP://x/y', { rwTimeoutMs: 2500 })[1], '2500000');
  });

  test('describeSource drops query and fragment of URLs (signed URLs carry secrets there)', () => {
    assert.equal(describeSource('https://origin.example/a/v.mp4?auth_key=secret#t=3'), 'https://origin.example/a/v.mp4');
    assert.equal(describeSource('/data/v.mp4'), '/data/v.mp4');
  });
});

describe('probeMedia on real files', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'openvod-probe-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('mp4 with audio', async () => {
    const info = await probeMedia(await makeVideo(dir, { container: 'mp4', seconds: 2 }), { ffprobePath });
    assert.equal(info.hasAudioOrVideo, true);
    assert.deepEqual([info.videoStreams.length, info.audioStreams.length], [1, 1]);
    assert.equal(info.videoStreams[0]?.codecName, 'h264');
    assert.equal(info.audioStreams[0]?.codecName, 'aac');
    assert.deepEqual([info.width, info.height, info.fps, info.rotate], [320, 240, 25, 0]);
    assert.ok(info.durationS !== undefined && Math.abs(info.durationS - 2) < 0.1, `duration ${info.durationS}`);
    assert.ok(info.sizeBytes !== undefined && info.sizeBytes > 0);
    assert.ok(info.bitrateKbps !== undefined && info.bitrateKbps > 0);
    assert.equal(formatForPlayInfo(info, 'mp4'), 'mp4');
  });

  test('webm (VP8 + Opus)', async () => {
    const info = await probeMedia(await makeVideo(dir, { container: 'webm' }), { ffprobePath });
    assert.equal(info.videoStreams[0]?.codecName, 'vp8');
    assert.equal(info.audioStreams[0]?.codecName, 'opus');
    assert.ok(info.videoStreams[0]?.durationS !== undefined, 'duration from the Matroska tag');
    assert.equal(formatForPlayInfo(info, undefined), 'webm');
  });

  test('mov, flv and mkv containers', async () => {
    const expected = { mov: 'mov', flv: 'flv', mkv: 'mkv' } as const;
    for (const container of ['mov', 'flv', 'mkv'] as const) {
      const info = await probeMedia(await makeVideo(dir, { container, audio: false }), { ffprobePath });
      assert.equal(info.videoStreams.length, 1, container);
      assert.equal(info.audioStreams.length, 0, container);
      assert.equal(formatForPlayInfo(info, undefined), expected[container]);
    }
  });

  test('rotated phone video: Rotate 90, coded size kept', async () => {
    const info = await probeMedia(await makeVideo(dir, { container: 'mp4', width: 320, height: 240, rotate: 90 }), { ffprobePath });
    assert.deepEqual([info.rotate, info.width, info.height, info.displayWidth, info.displayHeight], [90, 320, 240, 240, 320]);
  });

  test('audio-only mp3 with cover art: has audio, no video stream', async () => {
    const info = await probeMedia(await makeAudio(dir, { format: 'mp3', cover: true }), { ffprobePath });
    assert.equal(info.hasAudioOrVideo, true);
    assert.deepEqual(info.videoStreams, []);
    assert.equal(info.audioStreams[0]?.codecName, 'mp3');
    assert.equal(info.fps, undefined);
    assert.equal(formatForPlayInfo(info, 'mp3'), 'mp3');
  });

  test('audio-only m4a', async () => {
    const info = await probeMedia(await makeAudio(dir, { format: 'm4a' }), { ffprobePath });
    assert.deepEqual(info.videoStreams, []);
    assert.equal(formatForPlayInfo(info, undefined), 'm4a');
  });

  test('an HTML page is not media', async () => {
    await assert.rejects(probeMedia(await makeHtml(dir), { ffprobePath }), rejectsWith('InvalidMediaFile', /ffprobe exited with code 1 for .*page\.html: .*Invalid data/));
  });

  test('random bytes are not media', async () => {
    await assert.rejects(probeMedia(await makeGarbage(dir, 64 * 1024), { ffprobePath }), rejectsWith('InvalidMediaFile', /Invalid data/));
  });

  test('a still image, or subtitles only: no audio or video stream', async () => {
    await assert.rejects(probeMedia(await makeImage(dir), { ffprobePath }), rejectsWith('InvalidMediaFile', /no audio or video stream/));
    await assert.rejects(probeMedia(await makeSubtitles(dir), { ffprobePath }), rejectsWith('InvalidMediaFile', /no audio or video stream/));
  });

  test('a missing file', async () => {
    await assert.rejects(probeMedia(join(dir, 'nope.mp4'), { ffprobePath }), rejectsWith('InvalidMediaFile', /No such file/));
  });

  test('ffprobe that cannot be started → ProbeFailed', async () => {
    await assert.rejects(probeMedia(await makeVideo(dir), { ffprobePath: join(dir, 'no-ffprobe-here') }), rejectsWith('ProbeFailed', /ENOENT/));
  });

  test('an ffprobe that dies of a signal → ProbeCrashed (not a verdict on the file), with its stderr', async () => {
    const crashing = join(dir, 'crashing-ffprobe');
    await writeFile(crashing, '#!/bin/sh\necho "decoder went wrong" >&2\nkill -SEGV $$\n');
    await chmod(crashing, 0o755);
    await assert.rejects(probeMedia(await makeVideo(dir), { ffprobePath: crashing }), rejectsWith('ProbeCrashed', /killed by SIGSEGV while probing .*: decoder went wrong/));
  });

  test('an already-aborted signal rejects without running ffprobe', async () => {
    const reason = new Error('shutting down');
    await assert.rejects(probeMedia(await makeVideo(dir), { ffprobePath, signal: AbortSignal.abort(reason) }), (err: unknown) => {
      rejectsWith('Cancelled')(err);
      assert.equal((err as Error).cause, reason);
      return true;
    });
  });
});

describe('probeMedia over http (loopback origin)', () => {
  let dir: string;
  let origin: MediaOrigin;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'openvod-probe-http-'));
    origin = await startMediaOrigin(dir);
  });
  after(async () => {
    await origin.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('probes an mp4 by URL', async () => {
    const file = await makeVideo(dir, { container: 'mp4' });
    const info = await probeMedia(origin.fileUrl(file, 'auth_key=1-0-0-deadbeef'), { ffprobePath });
    assert.equal(info.videoStreams[0]?.codecName, 'h264');
    assert.equal(info.audioStreams.length, 1);
  });

  test('a 404 is InvalidMediaFile, and the message does not leak the query string', async () => {
    const url = `${origin.url}/files/missing.mp4?auth_key=1-0-0-topsecretsignature`;
    await assert.rejects(probeMedia(url, { ffprobePath }), (err: unknown) => {
      rejectsWith('InvalidMediaFile', /404/)(err);
      assert.doesNotMatch((err as Error).message, /topsecretsignature/);
      return true;
    });
  });

  test('a stalled origin hits the timeout: ProbeTimeout, ffprobe killed', async () => {
    const token = randomUUID();
    await assert.rejects(probeMedia(origin.stallUrl(token), { ffprobePath, timeoutMs: 400 }), rejectsWith('ProbeTimeout', /400 ms/));
    assert.deepEqual(processesMatching(token), []);
  });

  test('abort mid-run: Cancelled, ffprobe killed, nothing left running', async () => {
    const token = randomUUID();
    const controller = new AbortController();
    const probing = probeMedia(origin.stallUrl(token), { ffprobePath, signal: controller.signal });
    assert.ok(await waitFor(() => processesMatching(token).length === 1), 'ffprobe is running');
    const reason = new Error('job cancelled');
    controller.abort(reason);
    await assert.rejects(probing, (err: unknown) => {
      rejectsWith('Cancelled')(err);
      assert.equal((err as Error).cause, reason);
      return true;
    });
    assert.deepEqual(processesMatching(token), []);
  });
});
