// The analysis every new video goes through, whichever way its bytes arrived (URL pull, upload):
// ffprobe (a file without audio or video is refused with NotMediaError), a cover JPEG when the
// video has a picture and no cover was given, and the columns the video row gets from it.
// It works on a LOCAL file; see local-file.ts for objects held in a blob store.
import { rm } from 'node:fs/promises';
import type { BlobStore } from '../blob/blob-store.js';
import type { Logger } from '../logger.js';
import { probeMedia } from '../media/ffprobe.js';
import { MediaProbeError } from '../media/media-errors.js';
import type { MediaInfo } from '../media/media-info.js';
import { coverSeek, coverTimeS, grabFrame } from '../media/snapshot.js';
import { blobRef } from '../playback/playback-urls.js';
import type { VideoTable } from '../store/schema.js';

export interface AnalysisTools {
  readonly ffprobePath: string;
  readonly ffmpegPath: string;
  /** Tried on a file the first binary could not read (media.tools = bundled: the PATH ones). */
  readonly ffprobeFallbackPath?: string | undefined;
  readonly ffmpegFallbackPath?: string | undefined;
  readonly coverMaxWidth: number;
  readonly blobs: BlobStore;
  readonly log: Logger;
}

/** The file is not audio or video: the media fails (no retry) with code InvalidMediaFile. */
export class NotMediaError extends Error {
  readonly code = 'InvalidMediaFile';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NotMediaError';
  }
}

const OPERATIONAL_PROBE_CODES: ReadonlySet<string> = new Set(['ProbeTimeout', 'ProbeFailed', 'ProbeCrashed']);

/**
 * A probe failure that says nothing about the file — ffprobe timed out, could not start, or
 * crashed — so the analysis is worth running again later.
 */
export const isOperationalProbeFailure = (err: unknown): err is MediaProbeError =>
  err instanceof MediaProbeError && OPERATIONAL_PROBE_CODES.has(err.code);

/**
 * The ErrorCode a media gets when its analysis failed on its last run: `MediaAnalysisFailed` for
 * an operational probe failure (the message says which), `InternalError` for anything else.
 */
export const analysisFailureCode = (err: unknown): 'MediaAnalysisFailed' | 'InternalError' =>
  isOperationalProbeFailure(err) ? 'MediaAnalysisFailed' : 'InternalError';

/**
 * Probes a local file. A file that is not media rejects with NotMediaError; a probe that timed
 * out, could not start or crashed rejects with the probe's own error (an operational fault:
 * retry). With a fallback ffprobe (media.tools = bundled), a file the first one calls not media,
 * could not be started for, or crashed on, is probed again with the fallback, which has the
 * last word.
 */
export async function probeSource(tools: Pick<AnalysisTools, 'ffprobePath' | 'ffprobeFallbackPath' | 'log'>, file: string, signal: AbortSignal): Promise<MediaInfo> {
  try {
    return await probeMedia(file, { ffprobePath: tools.ffprobePath, signal });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (tools.ffprobeFallbackPath !== undefined && !signal.aborted && (code === 'InvalidMediaFile' || code === 'ProbeFailed' || code === 'ProbeCrashed')) {
      tools.log.info({ err, file, ffprobe: tools.ffprobeFallbackPath }, 'probing again with the fallback ffprobe');
      return probeSource({ ffprobePath: tools.ffprobeFallbackPath, log: tools.log }, file, signal);
    }
    if (code === 'InvalidMediaFile') {
      throw new NotMediaError(`The file is not an audio or video file: ${(err as Error).message}`, { cause: err });
    }
    throw err;
  }
}

/**
 * Grabs a cover frame from `source` into the blob store at `coverKey` (through `scratchPath`, a
 * local file removed afterwards). Resolves with the key, or undefined when the media has no
 * picture or the frame could not be grabbed (a video without cover still plays).
 */
export async function grabCover(
  tools: AnalysisTools,
  input: { source: string; info: MediaInfo; coverKey: string; scratchPath: string; signal: AbortSignal; logContext?: Record<string, unknown> },
): Promise<string | undefined> {
  if (input.info.videoStreams.length === 0) return undefined;
  try {
    await grabWithFallback(tools, input);
    await tools.blobs.putFile(input.coverKey, input.scratchPath, { contentType: 'image/jpeg', move: true, signal: input.signal });
    return input.coverKey;
  } catch (err) {
    if (input.signal.aborted) throw err;
    tools.log.warn({ err, ...input.logContext }, 'cover snapshot failed');
    return undefined;
  } finally {
    await rm(input.scratchPath, { force: true });
  }
}

/** grabFrame with the first ffmpeg, and when it gets no frame (SnapshotFailed), with the fallback. */
async function grabWithFallback(tools: AnalysisTools, input: { source: string; info: MediaInfo; scratchPath: string; signal: AbortSignal; logContext?: Record<string, unknown> }): Promise<void> {
  const grab = (ffmpegPath: string): Promise<void> =>
    grabFrame({
      ffmpegPath, source: input.source, timeS: coverTimeS(input.info), seek: coverSeek(input.info),
      outPath: input.scratchPath, maxWidth: tools.coverMaxWidth, streamIndex: input.info.mainVideo?.index, signal: input.signal,
    });
  try {
    await grab(tools.ffmpegPath);
  } catch (err) {
    if (tools.ffmpegFallbackPath === undefined || input.signal.aborted || (err as { code?: string }).code !== 'SnapshotFailed') throw err;
    tools.log.info({ err, ...input.logContext, ffmpeg: tools.ffmpegFallbackPath }, 'grabbing the cover again with the fallback ffmpeg');
    await grab(tools.ffmpegFallbackPath);
  }
}

/** What the video row records from an analysis. */
export function analysedVideoColumns(info: MediaInfo, input: { sizeBytes: number | null; md5: string | null; coverKey: string | undefined }): Partial<VideoTable> {
  return {
    media_info: JSON.stringify(info),
    duration: info.durationS ?? null,
    size: input.sizeBytes,
    bitrate: info.bitrateKbps ?? null,
    fps: info.fps ?? null,
    width: info.width ?? null,
    height: info.height ?? null,
    format_name: info.formatName ?? null,
    file_md5: input.md5,
    ...(input.coverKey === undefined ? {} : { cover_url: blobRef(input.coverKey), snapshots: JSON.stringify([blobRef(input.coverKey)]) }),
  };
}
