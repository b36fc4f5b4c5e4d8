// Cover snapshots: when to grab and how to seek (pure), the ffmpeg arguments (pure), and the ffmpeg
// runs: the first keyframe at or after the time when the clip is long (decoding keyframes only),
// else — or when there is no such keyframe — the exact frame at the time, and t=0 as the last try.
// Audio-only media has no cover: the caller skips it (coverTimeS still answers 0 for it, grabFrame
// would fail).
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
/**
 * Clips at least this long get their cover from the first keyframe at or after the cover time.
 * An exact frame at T costs a decode of every frame from the keyframe before T (up to a whole GOP:
 * 10 s of 1080p H.264 is ≈ 1 s of CPU; of 4K HEVC far more); a keyframe costs one or two frames.
 * Shorter clips seek to T < 2 s, cheap to decode exactly, and their one GOP often covers all of
 * them, so a keyframe-only try would mostly find nothing and cost an ffmpeg run for it.
 */
export const KEYFRAME_COVER_MIN_DURATION_S = 20;
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

/** `keyframe`: the first keyframe at or after the cover time; `exact`: the frame at that time. */
export type CoverSeek = 'keyframe' | 'exact';

/** How to seek for the cover of `info` (see {@link KEYFRAME_COVER_MIN_DURATION_S}). */
export function coverSeek(info: MediaInfo): CoverSeek {
  const d = info.mainVideo?.durationS ?? info.durationS;
  return d !== undefined && Number.isFinite(d) && d >= KEYFRAME_COVER_MIN_DURATION_S ? 'keyframe' : 'exact';
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
  /** Default `exact`. */
  seek?: CoverSeek | undefined;
}

/**
 * `ffmpeg -ss T -i SRC -map 0:v:0 -frames:v 1 -vf scale… -c:v mjpeg -q:v 3 -f image2 -update 1 -y OUT`.
 * `-ss` before `-i` is a fast input seek (to the keyframe before T, then decoded up to T).
 * ffmpeg auto-rotates by the display matrix before our filter, so the picture comes out upright;
 * the scale filter works on the display width (`iw*sar`: anamorphic video is squared up) and
 * `setsar=1` makes the JPEG's pixels square. `seek: 'keyframe'` adds `-skip_frame nokey` (the
 * decoder drops every frame but keyframes; ffmpeg's accurate seek still discards those before T),
 * so the output is the first keyframe at or after T, or nothing when there is none — and
 * `-threads 1`: decoding a keyframe or two, the decoder's frame threads only decode frames that
 * are thrown away (`bench:media`, a 60-s 1080p cover: 135–143 → 117–118 ms of CPU, no slower).
 * An exact seek keeps them: it may decode seconds of frames, which threads get through sooner.
 */
export function snapshotArgs(input: SnapshotArgsInput): string[] {
  const maxWidth = Math.max(2, Math.floor(input.maxWidth));
  const timeS = Math.max(0, Number.isFinite(input.timeS) ? input.timeS : 0);
  const scale = `scale=w='min(${maxWidth},iw*sar)':h='ow*ih/(iw*sar)',setsar=1`;
  return [
    '-nostdin', '-hide_banner', '-loglevel', 'error',
    ...(input.seek === 'keyframe' ? ['-skip_frame', 'nokey', '-threads', '1'] : []),
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
  /** Default `exact`; `keyframe` falls back to `exact` at the same time when it finds no keyframe. */
  seek?: CoverSeek | undefined;
  signal?: AbortSignal | undefined;
  /** Per ffmpeg run (default {@link DEFAULT_SNAPSHOT_TIMEOUT_MS}). */
  timeoutMs?: number | undefined;
}

/**
 * Writes one JPEG frame to `outPath`: with `seek: 'keyframe'` the first keyframe at or after
 * `timeS`, else (or when there is no such keyframe: a GOP longer than the rest of the clip, a
 * stream without keyframe flags) the frame at `timeS`; when that seek lands past the last frame
 * (ffmpeg writes nothing), the frame at t=0. Rejects with SnapshotError `SnapshotFailed`,
 * `SnapshotTimeout` or `Cancelled` (ffmpeg killed; `cause` = the signal's reason) — neither of the
 * last two is retried; a partial output file is removed on failure.
 */
export async function grabFrame(opts: GrabFrameOptions): Promise<void> {
  const tries: { timeS: number; seek: CoverSeek }[] = [];
  if (opts.seek === 'keyframe') tries.push({ timeS: opts.timeS, seek: 'keyframe' });
  tries.push({ timeS: opts.timeS, seek: 'exact' });
  if (opts.timeS > 0) tries.push({ timeS: 0, seek: 'exact' });
  let last: Exclude<Attempt, 'written'> | undefined;
  for (const t of tries) {
    const attempt = await grabOnce(opts, t.timeS, t.seek);
    if (attempt === 'written') return;
    last = attempt;
  }
  throw noFrame(opts, last as Exclude<Attempt, 'written'>);
}

type Attempt = 'written' | { stderr: string; exit: string };

async function grabOnce(opts: GrabFrameOptions, timeS: number, seek: CoverSeek): Promise<Attempt> {
  const label = describeSource(opts.source);
  await removeQuietly(opts.outPath); // a stale file must not pass for this run's frame
  const args = snapshotArgs({ source: opts.source, timeS, outPath: opts.outPath, maxWidth: opts.maxWidth ?? DEFAULT_SNAPSHOT_MAX_WIDTH, streamIndex: opts.streamIndex, seek });
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
