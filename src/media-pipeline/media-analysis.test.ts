// The analysis with a fallback ffprobe/ffmpeg (media.tools = bundled): a file the first binary
// cannot read is tried with the fallback, which has the last word; without one, nothing changes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFsBlobStore } from '../blob/fs-blob-store.js';
import { createLogger } from '../logger.js';
import { makeAudio, makeGarbage, makeVideo, mediaTools } from '../../test/helpers/media-fixtures.js';
import { MediaProbeError } from '../media/media-errors.js';
import { analysisFailureCode, type AnalysisTools, grabCover, isOperationalProbeFailure, NotMediaError, probeSource } from './media-analysis.js';

const real = mediaTools();
let dir: string;
/** Stands in for a build that cannot read anything: says so the way ffmpeg does, exits 1. */
let broken: string;
let logged: Array<{ msg: string; ffprobe?: string; ffmpeg?: string }>;

function tools(over: Partial<AnalysisTools>): AnalysisTools {
  const sink = new Writable({ write(chunk: Buffer, _enc, done) { logged.push(JSON.parse(chunk.toString())); done(); } });
  return {
    ffprobePath: real.ffprobePath, ffmpegPath: real.ffmpegPath, coverMaxWidth: 160,
    blobs: createFsBlobStore({ root: join(dir, 'blobs') }), log: createLogger('info', sink), ...over,
  };
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'openvod-analysis-'));
  broken = join(dir, 'broken-tool');
  await writeFile(broken, '#!/bin/sh\necho "Invalid data found when processing input" >&2\nexit 1\n');
  await chmod(broken, 0o755);
});
after(() => rm(dir, { recursive: true, force: true }));

describe('probeSource', () => {
  test('a file the first ffprobe cannot read is probed with the fallback', async () => {
    logged = [];
    const video = await makeVideo(dir, { seconds: 2 });
    const info = await probeSource(tools({ ffprobePath: broken, ffprobeFallbackPath: real.ffprobePath }), video, new AbortController().signal);
    assert.equal(info.videoStreams.length, 1);
    assert.equal(info.width, 320);
    assert.deepEqual(logged.map((l) => [l.msg, l.ffprobe]), [['probing again with the fallback ffprobe', real.ffprobePath]]);
  });

  test('the fallback has the last word; without one the first binary does', async () => {
    logged = [];
    const garbage = await makeGarbage(dir, 4096);
    await assert.rejects(probeSource(tools({ ffprobeFallbackPath: broken }), garbage, new AbortController().signal), NotMediaError);
    assert.equal(logged.length, 1, 'the fallback was tried');
    await assert.rejects(probeSource(tools({ ffprobePath: broken }), await makeVideo(dir, { seconds: 2 }), new AbortController().signal), NotMediaError);
    const missing = join(dir, 'no-such-ffprobe');
    const info = await probeSource(tools({ ffprobePath: missing, ffprobeFallbackPath: real.ffprobePath }), await makeAudio(dir, { format: 'mp3' }), new AbortController().signal);
    assert.equal(info.audioStreams.length, 1, 'an ffprobe that cannot be started falls back too');
  });

  test('an ffprobe that crashes is an operational failure, not a verdict: the fallback probes; without one the error is retryable', async () => {
    logged = [];
    const crashing = join(dir, 'crashing-tool');
    await writeFile(crashing, '#!/bin/sh\nkill -SEGV $$\n');
    await chmod(crashing, 0o755);
    const video = await makeVideo(dir, { seconds: 2 });
    const info = await probeSource(tools({ ffprobePath: crashing, ffprobeFallbackPath: real.ffprobePath }), video, new AbortController().signal);
    assert.equal(info.videoStreams.length, 1);
    assert.deepEqual(logged.map((l) => l.msg), ['probing again with the fallback ffprobe']);
    const err = await probeSource(tools({ ffprobePath: crashing }), video, new AbortController().signal).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof MediaProbeError && err.code === 'ProbeCrashed', String(err));
    assert.equal(isOperationalProbeFailure(err), true);
    assert.equal(analysisFailureCode(err), 'MediaAnalysisFailed');
    const notMedia = await probeSource(tools({}), await makeGarbage(dir, 4096), new AbortController().signal).then(() => undefined, (e: unknown) => e);
    assert.ok(notMedia instanceof NotMediaError);
    assert.equal(isOperationalProbeFailure(notMedia), false);
    assert.equal(analysisFailureCode(notMedia), 'InternalError', 'only operational probe failures get MediaAnalysisFailed');
  });

  test('a good file never reaches the fallback', async () => {
    logged = [];
    await probeSource(tools({ ffprobeFallbackPath: broken }), await makeVideo(dir, { seconds: 2 }), new AbortController().signal);
    assert.deepEqual(logged, []);
  });
});

describe('grabCover', () => {
  const cover = async (t: AnalysisTools, key: string): Promise<string | undefined> => {
    const source = await makeVideo(dir, { seconds: 3 });
    const info = await probeSource(tools({}), source, new AbortController().signal);
    return grabCover(t, { source, info, coverKey: key, scratchPath: join(dir, `${key.replace("/", "-")}.jpg`), signal: new AbortController().signal });
  };

  test('an ffmpeg that gets no frame is followed by the fallback, and the cover is stored', async () => {
    logged = [];
    const t = tools({ ffmpegPath: broken, ffmpegFallbackPath: real.ffmpegPath });
    assert.equal(await cover(t, 'covers/a'), 'covers/a', JSON.stringify(logged));
    const head = await t.blobs.stat('covers/a');
    assert.ok(head && head.size > 0, 'the JPEG is stored');
    assert.deepEqual(logged.map((l) => [l.msg, l.ffmpeg]), [['grabbing the cover again with the fallback ffmpeg', real.ffmpegPath]]);
  });

  test('without a fallback the video has no cover (a warning), and no JPEG is stored', async () => {
    logged = [];
    const t = tools({ ffmpegPath: broken });
    assert.equal(await cover(t, 'covers/b'), undefined);
    assert.equal(await t.blobs.stat('covers/b'), null);
    assert.deepEqual(logged.map((l) => l.msg), ['cover snapshot failed']);
  });
});
