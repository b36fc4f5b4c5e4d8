// Cover snapshots: when to grab (pure), the ffmpeg arguments (pure), and one ffmpeg run with a
// single retry at t=0 when the seek lands past the last frame. Audio-only media has no cover: the
// caller skips it (coverTimeS still answers 0 for it, grabFrame would fail).
import { rm, stat } from 'node:fs/promises';
import { describeSource, inputArgs } from './ffprobe.js';
import { SnapshotError } from './media-errors.js';
import type { MediaInfo } from './media-info.js';
import { runTool, stderrExcerpt } from './run-tool.js';
import type { RunToolResult } from './run-tool.js';

/** Clips shorter than this are grabbed at their first frame. */
export const COVER_MIN_DURATION_S = 2;
/** Fraction of the duration to skip (past black lead-ins and fades). */
export const COVER_FRACTION = 0.1;
/** Never seek further than this into the file (keeps the seek cheap on long files). */
export const COVER_MAX_TIME_S = 10;
export const DEFAULT_SNAPSHOT_MAX_WIDTH = 1280;
export const DEFAULT_SNAPSHOT_TIMEOUT_MS = 60_000;
/** mjpeg qscale: 2 (best) … 31 (worst); 3 is visually clean at a fraction of 2's size. */
export const SNAPSHOT_JPEG_QUALITY = 3;

/**
 * The time to take the cover at: 10 % into the main video stream (the container duration when
 * the stream's is unknown), at most 10 s, rounded to milliseconds; 0 when the duration is unknown
 * or under 2 s. With a duration ≥ 2 s this is always ≤ duration − 1.8 s, so it lands on a frame.
 */
export function coverTimeS(info: MediaInfo): number {
  const d = info.mainVideo?.durationS ?? info.durationS;
  if (d === undefined || !Number.isFinite(d) || d < COVER_MIN_DURATION_S) return 0;
  return Math.round(Math.min(d * COVER_FRACTION, COVER_MAX_TIME_S) * 1000) / 1000;
}

export interface SnapshotArgsInput {
  /** Local path or http(s) URL. */
  source: string;
  timeS: number;
  /** Where the JPEG goes (overwritten). */
  outPath: string;
  /** Downscale (never upscale) to at most this display width, keeping the display aspect ratio. */
  maxWidth: number;
  /** ffprobe index of the stream to grab (`MediaInfo.mainVideo.index`); default the first video stream. */
  streamIndex?: number | undefined;
}

/**
 * `ffmpeg -ss T -i SRC -map 0:v:0 -frames:v 1 -vf scale… -c:v mjpeg -q:v 3 -f image2 -update 1 -y OUT`.
 * `-ss` before `-i` is a fast input seek (to the keyframe before T, then decoded up to T).
 * ffmpeg auto-rotates by the display matrix before our filter, so the picture comes out upright;
 * the scale filter works on the display width (`iw*sar`: anamorphic video is squared up) and
 * `setsar=1` makes the JPEG's pixels square.
 */
export function snapshotArgs(input: SnapshotArgsInput): string[] {
  const maxWidth = Math.max(2, Math.floor(input.maxWidth));
  const timeS = Math.max(0, Number.isFinite(input.timeS) ? input.timeS : 0);
  const scale = `scale=w='min(${maxWidth},iw*sar)':h='ow*ih/(iw*sar)',setsar=1`;
  return [
    '-nostdin', '-hide_banner', '-loglevel', 'error',
    '-ss', timeS.toFixed(3),
    ...inputArgs(input.source),
    '-map', input.streamIndex === undefined ? '0:v:0' : `0:${input.streamIndex}`,
    '-an', '-sn', '-dn',
    '-frames:v', '1',
    '-vf', scale,
    '-c:v', 'mjpeg', '-q:v', String(SNAPSHOT_JPEG_QUALITY),
    '-f', 'image2', '-update', '1',
    '-y', input.outPath,
  ];
}

export interface GrabFrameOptions {
  ffmpegPath: string;
  source: string;
  timeS: number;
  outPath: string;
  /** Default {@link DEFAULT_SNAPSHOT_MAX_WIDTH}. */
  maxWidth?: number | undefined;
  streamIndex?: number | undefined;
  signal?: AbortSignal | undefined;
  /** Per ffmpeg run (default {@link DEFAULT_SNAPSHOT_TIMEOUT_MS}). */
  timeoutMs?: number | undefined;
}

/**
 * Writes one JPEG frame at `timeS` to `outPath`. When the seek lands past the last frame (ffmpeg
 * writes nothing), tries once more at t=0. Rejects with SnapshotError `SnapshotFailed`,
 * `SnapshotTimeout` or `Cancelled` (ffmpeg killed; `cause` = the signal's reason); a partial
 * output file is removed on failure.
 */
export async function grabFrame(opts: GrabFrameOptions): Promise<void> {
  const first = await grabOnce(opts, opts.timeS);
  if (first === 'written') return;
  if (opts.timeS > 0) {
    const retry = await grabOnce(opts, 0);
    if (retry === 'written') return;
    throw noFrame(opts, retry);
  }
  throw noFrame(opts, first);
}

type Attempt = 'written' | { stderr: string; exit: string };

async function grabOnce(opts: GrabFrameOptions, timeS: number): Promise<Attempt> {
  const label = describeSource(opts.source);
  await removeQuietly(opts.outPath); // a stale file must not pass for this run's frame
  const args = snapshotArgs({ source: opts.source, timeS, outPath: opts.outPath, maxWidth: opts.maxWidth ?? DEFAULT_SNAPSHOT_MAX_WIDTH, streamIndex: opts.streamIndex });
  const result = await runTool(opts.ffmpegPath, args, { signal: opts.signal, timeoutMs: opts.timeoutMs ?? DEFAULT_SNAPSHOT_TIMEOUT_MS });
  const fail = async (error: SnapshotError): Promise<never> => {
    await removeQuietly(opts.outPath);
    throw error;
  };
  switch (result.kind) {
    case 'spawn-failed':
      return fail(new SnapshotError('SnapshotFailed', `Could not run ffmpeg at ${opts.ffmpegPath}: ${result.error.message}`, { cause: result.error }));
    case 'aborted':
      return fail(new SnapshotError('Cancelled', `Snapshot of ${label} was cancelled`, { cause: result.reason }));
    case 'timeout':
      return fail(new SnapshotError('SnapshotTimeout', `Snapshot of ${label} at ${timeS} s took longer than ${result.timeoutMs} ms`));
    case 'output-too-large':
    case 'exited':
      break;
  }
  if (result.kind === 'exited' && result.exitCode === 0 && (await fileSize(opts.outPath)) > 0) return 'written';
  await removeQuietly(opts.outPath);
  return { stderr: result.stderr.split(opts.source).join(label), exit: exitText(result) };
}

function exitText(result: Extract<RunToolResult, { kind: 'exited' | 'output-too-large' }>): string {
  if (result.kind === 'output-too-large') return 'printed too much output';
  if (result.exitSignal) return `was killed by ${result.exitSignal}`;
  return result.exitCode === 0 ? 'wrote no frame' : `exited with code ${result.exitCode}`;
}

function noFrame(opts: GrabFrameOptions, attempt: Exclude<Attempt, 'written'>): SnapshotError {
  const at = opts.timeS > 0 ? `at ${opts.timeS} s nor at 0 s` : 'at 0 s';
  return new SnapshotError('SnapshotFailed', `No frame from ${describeSource(opts.source)} ${at}: ffmpeg ${attempt.exit}: ${stderrExcerpt(attempt.stderr)}`);
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

async function removeQuietly(path: string): Promise<void> {
  await rm(path, { force: true });
}
