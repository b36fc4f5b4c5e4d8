// Our own description of a media file (what ffprobe found, normalised at the edge by
// `ffprobe.ts`), and pure mappers from it to the ApsaraVideo wire shapes that carry media facts:
// GetMezzanineInfo VideoStreamList/AudioStreamList (reference §5), GetPlayInfo PlayInfo
// Format/Definition (§7) and the VideoAnalysisComplete metrics (events §1.4).
//
// Units are in the names (`durationS`, `bitrateKbps`, `sizeBytes`). A value ffprobe did not know
// is `undefined`, never 0 or NaN.

/** Derived from the stream's `color_transfer`: smpte2084 (PQ) → HDR10, arib-std-b67 → HLG, anything else → SDR. */
export type HdrType = 'SDR' | 'HDR10' | 'HLG';

/** One video stream. Attached pictures (mp3/m4a cover art) are never video streams. */
export interface VideoStreamInfo {
  /** ffprobe's absolute stream index within the file (what `-map 0:<index>` takes). */
  index: number;
  codecName: string | undefined;
  codecLongName: string | undefined;
  profile: string | undefined;
  /**
   * `num/den`. ffprobe ≥ 5 no longer prints `codec_time_base`; then it is derived as the inverse of
   * the frame rate (`r_frame_rate` 25/1 → `1/25`).
   */
  codecTimeBase: string | undefined;
  codecTagString: string | undefined;
  /** Hex, as ffprobe prints it (`0x31637661`). */
  codecTag: string | undefined;
  /** Coded (stored) picture size — NOT swapped for rotation; see `rotate` and `displayWidth`. */
  width: number | undefined;
  height: number | undefined;
  hasBFrames: number | undefined;
  /** `num:den` sample aspect ratio. */
  sar: string | undefined;
  /** `num:den` display aspect ratio. */
  dar: string | undefined;
  pixFmt: string | undefined;
  level: number | undefined;
  /** From `r_frame_rate` (the container's base rate). */
  fps: number | undefined;
  /** From `avg_frame_rate`. */
  avgFps: number | undefined;
  /** Stream time base, `num/den`. */
  timebase: string | undefined;
  startTimeS: number | undefined;
  durationS: number | undefined;
  numFrames: number | undefined;
  /** `tags.language` as given (`und`, `eng`, …). */
  lang: string | undefined;
  /**
   * Clockwise rotation a player must apply to show the picture upright, in whole degrees, [0, 360).
   * A portrait phone recording (display matrix rotation −90, legacy tag `rotate=90`) is 90.
   */
  rotate: number;
  bitrateKbps: number | undefined;
  hdrType: HdrType;
  /** Raw `color_transfer` (e.g. `smpte2084`, `bt709`), kept for diagnostics. */
  colorTransfer: string | undefined;
  /** Bits per colour sample (8, 10, 12), from `bits_per_raw_sample` or the pixel format. */
  bitDepth: number | undefined;
}

export interface AudioStreamInfo {
  index: number;
  codecName: string | undefined;
  codecLongName: string | undefined;
  /** `num/den`; derived as `1/<sampleRate>` when ffprobe ≥ 5 does not print it. */
  codecTimeBase: string | undefined;
  codecTagString: string | undefined;
  codecTag: string | undefined;
  sampleFmt: string | undefined;
  sampleRate: number | undefined;
  channels: number | undefined;
  /** `mono`, `stereo`, `5.1(side)`, … */
  channelLayout: string | undefined;
  timebase: string | undefined;
  startTimeS: number | undefined;
  durationS: number | undefined;
  bitrateKbps: number | undefined;
  numFrames: number | undefined;
  lang: string | undefined;
}

export interface MediaInfo {
  /** ffprobe's `format_name`, e.g. `mov,mp4,m4a,3gp,3g2,mj2`, `matroska,webm`, `mp3`. */
  formatName: string;
  formatLongName: string | undefined;
  /** ISO-BMFF `major_brand` (`isom`, `qt  `, `M4A `) when the container has one; tells mov from mp4. */
  majorBrand: string | undefined;
  /** Container duration, else the longest stream duration. */
  durationS: number | undefined;
  sizeBytes: number | undefined;
  /** Container bit rate, else computed from size and duration. */
  bitrateKbps: number | undefined;
  videoStreams: VideoStreamInfo[];
  audioStreams: AudioStreamInfo[];
  /** The main video stream (the first with the default disposition, else the first); undefined when none. */
  mainVideo: VideoStreamInfo | undefined;
  /**
   * Coded size of the main video stream (what GetMezzanineInfo's Width/Height report; ApsaraVideo
   * reports the stored size and a separate Rotate). Undefined for audio-only media.
   */
  width: number | undefined;
  height: number | undefined;
  /** Rotation of the main video stream (0 when none), clockwise degrees in [0, 360). */
  rotate: number;
  /** Upright size: `width`/`height` swapped when `rotate` is 90 or 270. */
  displayWidth: number | undefined;
  displayHeight: number | undefined;
  /** Frame rate of the main video stream: `avg_frame_rate`, else `r_frame_rate`. */
  fps: number | undefined;
  hasAudioOrVideo: boolean;
}

/** Shape of one GetMezzanineInfo `VideoStreamList[]` item: every value a string (reference §5). */
export interface MezzanineVideoStream {
  Index: string;
  CodecName: string;
  CodecLongName: string;
  Profile: string;
  CodecTimeBase: string;
  CodecTagString: string;
  CodecTag: string;
  Width: string;
  Height: string;
  HasBFrames: string;
  Sar: string;
  Dar: string;
  PixFmt: string;
  Level: string;
  Fps: string;
  AvgFPS: string;
  Timebase: string;
  StartTime: string;
  Duration: string;
  NumFrames: string;
  Lang: string;
  Rotate: string;
  Bitrate: string;
  HDRType: string;
}

/** Shape of one GetMezzanineInfo `AudioStreamList[]` item: every value a string (reference §5). */
export interface MezzanineAudioStream {
  Index: string;
  CodecName: string;
  CodecLongName: string;
  CodecTimeBase: string;
  CodecTagString: string;
  CodecTag: string;
  SampleFmt: string;
  SampleRate: string;
  Channels: string;
  ChannelLayout: string;
  Timebase: string;
  StartTime: string;
  Duration: string;
  Bitrate: string;
  NumFrames: string;
  Lang: string;
}

// ---- number formatting for the wire -------------------------------------------------------------
// Unknown values become '' (the field is always present, so the shape is stable). Times use
// ffprobe's own 6 decimals ("2.000000") since these lists are ffprobe facts; rates and bit rates
// are trimmed decimals ("25", "29.97", "697.432").

/** `n` with at most `maxDecimals` decimals, trailing zeros dropped; '' when undefined. */
export function decimalString(n: number | undefined, maxDecimals = 3): string {
  if (n === undefined || !Number.isFinite(n)) return '';
  const s = n.toFixed(maxDecimals);
  const trimmed = s.includes('.') ? s.replace(/\.?0+$/, '') : s;
  return trimmed === '-0' ? '0' : trimmed;
}

const timeString = (s: number | undefined): string => (s === undefined || !Number.isFinite(s) ? '' : s.toFixed(6));
const intString = (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? '' : String(Math.round(n)));
const text = (s: string | undefined): string => s ?? '';

export function toMezzanineVideoStream(s: VideoStreamInfo): MezzanineVideoStream {
  return {
    Index: String(s.index),
    CodecName: text(s.codecName),
    CodecLongName: text(s.codecLongName),
    Profile: text(s.profile),
    CodecTimeBase: text(s.codecTimeBase),
    CodecTagString: text(s.codecTagString),
    CodecTag: text(s.codecTag),
    Width: intString(s.width),
    Height: intString(s.height),
    HasBFrames: intString(s.hasBFrames),
    Sar: text(s.sar),
    Dar: text(s.dar),
    PixFmt: text(s.pixFmt),
    Level: intString(s.level),
    Fps: decimalString(s.fps),
    AvgFPS: decimalString(s.avgFps),
    Timebase: text(s.timebase),
    StartTime: timeString(s.startTimeS),
    Duration: timeString(s.durationS),
    NumFrames: intString(s.numFrames),
    Lang: text(s.lang),
    Rotate: String(s.rotate),
    Bitrate: decimalString(s.bitrateKbps),
    HDRType: s.hdrType,
  };
}

export function toMezzanineAudioStream(s: AudioStreamInfo): MezzanineAudioStream {
  return {
    Index: String(s.index),
    CodecName: text(s.codecName),
    CodecLongName: text(s.codecLongName),
    CodecTimeBase: text(s.codecTimeBase),
    CodecTagString: text(s.codecTagString),
    CodecTag: text(s.codecTag),
    SampleFmt: text(s.sampleFmt),
    SampleRate: intString(s.sampleRate),
    Channels: intString(s.channels),
    ChannelLayout: text(s.channelLayout),
    Timebase: text(s.timebase),
    StartTime: timeString(s.startTimeS),
    Duration: timeString(s.durationS),
    Bitrate: decimalString(s.bitrateKbps),
    NumFrames: intString(s.numFrames),
    Lang: text(s.lang),
  };
}

/**
 * The media metrics of a VideoAnalysisComplete event (events §1.4), typed as the doc sample sends
 * them: every value a string. Width/Height/Fps are absent for audio-only media.
 */
export interface AnalysisSummary {
  Duration: string;
  Bitrate: string;
  Size: string;
  Width?: string;
  Height?: string;
  Fps?: string;
}

export function toAnalysisSummary(info: MediaInfo): AnalysisSummary {
  const summary: AnalysisSummary = {
    Duration: decimalString(info.durationS),
    Bitrate: decimalString(info.bitrateKbps),
    Size: intString(info.sizeBytes),
  };
  if (info.mainVideo) {
    summary.Width = intString(info.width);
    summary.Height = intString(info.height);
    summary.Fps = decimalString(info.fps);
  }
  return summary;
}

// ---- GetPlayInfo Format / Definition ------------------------------------------------------------

/** The Format values GetPlayInfo documents (reference §7). */
export type ApsaraPlayFormat = 'mp4' | 'm3u8' | 'mp3' | 'flv' | 'mpd';
/** A documented Format, or the container's own short name when none applies (`mov`, `m4a`, `webm`, `mkv`, `ts`, …). */
export type PlayInfoFormat = ApsaraPlayFormat | 'mov' | 'm4a' | '3gp' | 'webm' | 'mkv' | 'ts' | 'avi' | 'ogg' | 'wav' | 'aac' | 'flac' | 'mpg' | 'asf' | (string & {});

const APSARA_FORMATS: ReadonlySet<string> = new Set<ApsaraPlayFormat>(['mp4', 'm3u8', 'mp3', 'flv', 'mpd']);
export const isApsaraPlayFormat = (f: string): f is ApsaraPlayFormat => APSARA_FORMATS.has(f);

const WEBM_CODECS: ReadonlySet<string> = new Set(['vp8', 'vp9', 'av1', 'opus', 'vorbis']);
/** Simple one-to-one demuxer names → Format. */
const CONTAINER_FORMAT: Readonly<Record<string, PlayInfoFormat>> = {
  hls: 'm3u8',
  dash: 'mpd',
  flv: 'flv',
  live_flv: 'flv',
  mp3: 'mp3',
  mpegts: 'ts',
  avi: 'avi',
  ogg: 'ogg',
  wav: 'wav',
  aac: 'aac',
  flac: 'flac',
  mpeg: 'mpg',
};

/**
 * GetPlayInfo `Format` for a stored file served as-is. The container ffprobe found decides; the
 * file extension only picks a name *within* a container family ffprobe cannot tell apart:
 * - hls → `m3u8`, dash → `mpd`, flv → `flv`, mp3 → `mp3`;
 * - the ISO-BMFF family (`mov,mp4,m4a,3gp,3g2,mj2`): extension `mp4`/`m4v` → `mp4`, `m4a` → `m4a`,
 *   `mov`/`qt` → `mov`, `3gp`/`3g2` → `3gp`; otherwise by major brand (`qt  ` → `mov`, `M4A `/`M4B `
 *   → `m4a`, `3g*` → `3gp`); otherwise `mp4` when there is video, `m4a` when audio-only;
 * - Matroska: extension `webm` → `webm`, `mkv`/`mka` → `mkv`; otherwise `webm` when every codec is
 *   WebM-legal (VP8/VP9/AV1/Opus/Vorbis), else `mkv`;
 * - mpegts → `ts`, avi, ogg, wav, aac, flac, mpeg (PS) → `mpg`, asf → the extension if
 *   `wmv`/`wma`, else `asf`;
 * - anything else → the first name in ffprobe's `format_name`.
 * Only mp4/m3u8/mp3/flv/mpd are ApsaraVideo Format values (see {@link isApsaraPlayFormat}); the
 * others are what a client gets for originals the real service would have transcoded.
 */
export function formatForPlayInfo(info: MediaInfo, fileExt: string | undefined): PlayInfoFormat {
  const ext = (fileExt ?? '').trim().toLowerCase().replace(/^\./, '');
  const names = info.formatName.split(',').map((n) => n.trim());
  for (const name of names) {
    const mapped = CONTAINER_FORMAT[name];
    if (mapped) return mapped;
  }
  if (names.includes('mov') || names.includes('mp4')) return isoBmffFormat(info, ext);
  if (names.includes('matroska') || names.includes('webm')) {
    if (ext === 'webm') return 'webm';
    if (ext === 'mkv' || ext === 'mka') return 'mkv';
    const codecs = [...info.videoStreams, ...info.audioStreams].map((s) => s.codecName ?? '');
    return codecs.every((c) => WEBM_CODECS.has(c)) ? 'webm' : 'mkv';
  }
  if (names.includes('asf')) return ext === 'wmv' || ext === 'wma' ? ext : 'asf';
  return names[0] || ext || 'unknown';
}

function isoBmffFormat(info: MediaInfo, ext: string): PlayInfoFormat {
  if (ext === 'mp4' || ext === 'm4v') return 'mp4';
  if (ext === 'm4a') return 'm4a';
  if (ext === 'mov' || ext === 'qt') return 'mov';
  if (ext === '3gp' || ext === '3g2') return '3gp';
  const brand = (info.majorBrand ?? '').trim().toLowerCase();
  if (brand === 'qt') return 'mov';
  if (brand === 'm4a' || brand === 'm4b') return 'm4a';
  if (brand.startsWith('3g')) return '3gp';
  return info.videoStreams.length > 0 ? 'mp4' : 'm4a';
}

/** GetPlayInfo Definition values (reference §7; HQ/AUTO are never derived from a picture size). */
export type Definition = 'FD' | 'LD' | 'SD' | 'HD' | '2K' | '4K' | 'OD' | 'SQ';

/** Upper bounds (inclusive) of the picture's short side per Definition, after ApsaraVideo's default template ladder. */
export const DEFINITION_LADDER: readonly (readonly [maxShortSidePx: number, definition: Definition])[] = [
  [360, 'FD'], // 流畅: ≤ 360p
  [540, 'LD'], // 标清: 480p / 540p
  [720, 'SD'], // 高清: 720p
  [1080, 'HD'], // 超清: 1080p
  [1440, '2K'],
  [2160, '4K'],
];

/**
 * Definition for a picture whose short side is `heightPx` (for landscape video the height; for
 * portrait pass `Math.min(width, height)` so a 1080×1920 phone video is HD, not 4K):
 * ≤360 FD · ≤540 LD · ≤720 SD · ≤1080 HD · ≤1440 2K · ≤2160 4K · larger OD (original; nothing in
 * the ladder fits). Undefined or ≤ 0 (audio-only media) → `SQ` (standard audio quality).
 * Callers labelling an untranscoded original may prefer `OD` regardless.
 */
export function definitionFor(heightPx: number | undefined): Definition {
  if (heightPx === undefined || !Number.isFinite(heightPx) || heightPx <= 0) return 'SQ';
  for (const [max, definition] of DEFINITION_LADDER) if (heightPx <= max) return definition;
  return 'OD';
}
