// The ffprobe adapter: pure argument building, one process run, and the mapping of its outcome
// to MediaInfo or a MediaProbeError. Parsing lives in ffprobe-parse.ts.
import { MediaProbeError } from './media-errors.js';
import type { MediaInfo } from './media-info.js';
import { parseFfprobeJson } from './ffprobe-parse.js';
import { runTool, stderrExcerpt } from './run-tool.js';

export { parseFfprobeJson, normaliseRotation } from './ffprobe-parse.js';

export const DEFAULT_PROBE_TIMEOUT_MS = 60_000;
/**
 * Longest network stall tolerated on one read from an http(s) source before ffmpeg/ffprobe give
 * up on it. Independent of the whole-run `timeoutMs`, which is ours to enforce (kill → timeout).
 */
export const DEFAULT_RW_TIMEOUT_MS = 15_000;

const HTTP_PROTOCOLS = 'http,https,tcp,tls,crypto';
const FILE_PROTOCOLS = 'file,crypto';

export const isHttpSource = (source: string): boolean => /^https?:\/\//i.test(source);

/**
 * Input options and the input itself, shared by ffprobe and ffmpeg argument builders.
 * - Local paths get the `file:` protocol prefix, so a name with a colon or a leading `-` is never
 *   taken for a protocol or an option, and a protocol whitelist of `file,crypto`: a local HLS
 *   playlist cannot make us fetch from the network.
 * - http(s) sources get a read/write stall timeout (`-rw_timeout`, microseconds), reconnects on
 *   dropped connections (up to 4 s between tries) and a whitelist of `http,https,tcp,tls,crypto`
 *   (no `file:` from a remote playlist). The `reconnect*` options exist in every ffmpeg since 3.x
 *   (the npm fallback binaries are old); `reconnect_on_network_error` (4.4+) is deliberately not used.
 */
export function inputArgs(source: string, opts: { rwTimeoutMs?: number | undefined } = {}): string[] {
  if (!isHttpSource(source)) return ['-protocol_whitelist', FILE_PROTOCOLS, '-i', `file:${source}`];
  const rwTimeoutUs = Math.max(1, Math.round(opts.rwTimeoutMs ?? DEFAULT_RW_TIMEOUT_MS)) * 1000;
  return [
    '-rw_timeout', String(rwTimeoutUs),
    '-reconnect', '1',
    '-reconnect_streamed', '1',
    '-reconnect_delay_max', '4',
    '-protocol_whitelist', HTTP_PROTOCOLS,
    '-i', source,
  ];
}

/** `ffprobe -v error -print_format json -show_format -show_streams` for one source. Pure. */
export function ffprobeArgs(source: string, opts: { rwTimeoutMs?: number | undefined } = {}): string[] {
  return ['-hide_banner', '-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', ...inputArgs(source, opts)];
}

/** A source as safe to put in a message or log: an URL loses its query and fragment (signed URLs carry secrets there). */
export function describeSource(source: string): string {
  if (!isHttpSource(source)) return source;
  try {
    const url = new URL(source);
    return `${url.origin}${url.pathname}`;
  } catch {
    return source.replace(/[?#].*$/, '');
  }
}

export interface ProbeOptions {
  ffprobePath: string;
  signal?: AbortSignal | undefined;
  /** Whole-run limit (default {@link DEFAULT_PROBE_TIMEOUT_MS}); ffprobe is killed when it passes. */
  timeoutMs?: number | undefined;
}

/**
 * Probes a local path or an http(s) URL. Resolves only for media with at least one audio or video
 * stream. Rejects with MediaProbeError: `InvalidMediaFile` (ffprobe failed, unusable output, or
 * no audio/video stream; the message carries ffprobe's stderr, truncated), `ProbeTimeout`,
 * `Cancelled` (ffprobe killed, `cause` = the signal's reason), `ProbeFailed` (ffprobe could not
 * be started) or `ProbeCrashed` (ffprobe died of a signal we did not send).
 */
export async function probeMedia(source: string, opts: ProbeOptions): Promise<MediaInfo> {
  const label = describeSource(source);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  const args = ffprobeArgs(source);
  const result = await runTool(opts.ffprobePath, args, { signal: opts.signal, timeoutMs });
  const redact = (stderr: string): string => stderrExcerpt(stderr.split(source).join(label));
  switch (result.kind) {
    case 'spawn-failed':
      throw new MediaProbeError('ProbeFailed', `Could not run ffprobe at ${opts.ffprobePath}: ${result.error.message}`, { cause: result.error });
    case 'aborted':
      throw new MediaProbeError('Cancelled', `Probing ${label} was cancelled`, { cause: result.reason });
    case 'timeout':
      throw new MediaProbeError('ProbeTimeout', `Probing ${label} took longer than ${result.timeoutMs} ms`);
    case 'output-too-large':
      throw new MediaProbeError('InvalidMediaFile', `ffprobe output for ${label} exceeded ${result.maxStdoutBytes} bytes`);
    case 'exited':
      break;
  }
  if (result.exitSignal) {
    // Timeouts and cancellations are our own kills and answered above: this one came from elsewhere.
    throw new MediaProbeError('ProbeCrashed', `ffprobe was killed by ${result.exitSignal} while probing ${label}: ${redact(result.stderr)}`);
  }
  if (result.exitCode !== 0) {
    throw new MediaProbeError('InvalidMediaFile', `ffprobe exited with code ${result.exitCode} for ${label}: ${redact(result.stderr)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(result.stdout);
  } catch (cause) {
    throw new MediaProbeError('InvalidMediaFile', `ffprobe printed unparseable output for ${label}: ${redact(result.stderr)}`, { cause });
  }
  const info = parseFfprobeJson(json);
  if (!info.hasAudioOrVideo) {
    throw new MediaProbeError('InvalidMediaFile', `${label} has no audio or video stream (container: ${info.formatName || 'unknown'})`);
  }
  return info;
}
