// Raw `ffprobe -print_format json -show_format -show_streams` output → our MediaInfo. Pure. This is
// the edge where ffprobe's quirks stop: missing fields, "N/A", "0/0" rates, Matroska duration
// tags, display-matrix vs legacy rotate tags, removed `codec_time_base` (ffprobe ≥ 5).
import { asObject, clockDuration, fraction, fractionString, nonNegative, num, positive, rate, str, tag } from './ffprobe-fields.js';
import type { RawObject } from './ffprobe-fields.js';
import type { AudioStreamInfo, HdrType, MediaInfo, VideoStreamInfo } from './media-info.js';
import { MediaProbeError } from './media-errors.js';

/**
 * Maps ffprobe JSON to {@link MediaInfo}. Throws `MediaProbeError('InvalidMediaFile')` when the
 * document has no `format` object or no `streams` array (what ffprobe prints, `{}`, for input it
 * cannot open). An empty `streams` array parses fine, with `hasAudioOrVideo: false`: rejecting
 * such files is {@link probeMedia}'s job, so canned outputs can still be inspected.
 */
export function parseFfprobeJson(json: unknown): MediaInfo {
  const root = asObject(json);
  const format = asObject(root?.format);
  const rawStreams = root?.streams;
  if (!format || !Array.isArray(rawStreams)) {
    throw new MediaProbeError('InvalidMediaFile', 'ffprobe output has no format or stream information: not a media file ffprobe can read');
  }
  const formatName = str(format.format_name) ?? '';
  const stillImage = isStillImageContainer(formatName);
  const videoStreams: VideoStreamInfo[] = [];
  const audioStreams: AudioStreamInfo[] = [];
  let defaultVideo: VideoStreamInfo | undefined;
  rawStreams.forEach((entry: unknown, position) => {
    const s = asObject(entry);
    if (!s) return;
    const index = num(s.index) ?? position;
    if (s.codec_type === 'audio') audioStreams.push(audioStream(s, index));
    if (s.codec_type === 'video' && !stillImage && !isAttachedPicture(s)) {
      const v = videoStream(s, index);
      videoStreams.push(v);
      if (!defaultVideo && num(asObject(s.disposition)?.default) === 1) defaultVideo = v;
    }
  });

  const mainVideo = defaultVideo ?? videoStreams[0];
  const streamDurations = [...videoStreams, ...audioStreams].map((s) => s.durationS).filter((d): d is number => d !== undefined);
  const durationS = positive(format.duration) ?? (streamDurations.length > 0 ? Math.max(...streamDurations) : undefined);
  const sizeBytes = nonNegative(format.size);
  const formatBitRate = positive(format.bit_rate);
  const bitrateKbps =
    formatBitRate !== undefined ? formatBitRate / 1000 : sizeBytes !== undefined && durationS ? (sizeBytes * 8) / durationS / 1000 : undefined;
  const rotate = mainVideo?.rotate ?? 0;
  const swap = rotate === 90 || rotate === 270;
  return {
    formatName,
    formatLongName: str(format.format_long_name),
    majorBrand: str(tag(asObject(format.tags), 'major_brand')),
    durationS,
    sizeBytes,
    bitrateKbps,
    videoStreams,
    audioStreams,
    mainVideo,
    width: mainVideo?.width,
    height: mainVideo?.height,
    rotate,
    displayWidth: swap ? mainVideo?.height : mainVideo?.width,
    displayHeight: swap ? mainVideo?.width : mainVideo?.height,
    fps: mainVideo ? (mainVideo.avgFps ?? mainVideo.fps) : undefined,
    hasAudioOrVideo: videoStreams.length + audioStreams.length > 0,
  };
}

/** Cover art in mp3/m4a/flac: a one-picture "video" stream flagged attached_pic. Not video. */
function isAttachedPicture(s: RawObject): boolean {
  return num(asObject(s.disposition)?.attached_pic) === 1;
}

/** Single-picture demuxers (`image2`, `png_pipe`, `jpeg_pipe`, …): an image file is not a video. */
function isStillImageContainer(formatName: string): boolean {
  return formatName.split(',').some((n) => n === 'image2' || n.endsWith('_pipe'));
}

function videoStream(s: RawObject, index: number): VideoStreamInfo {
  const tags = asObject(s.tags);
  const colorTransfer = str(s.color_transfer);
  const level = num(s.level);
  return {
    index,
    codecName: str(s.codec_name),
    codecLongName: str(s.codec_long_name),
    profile: str(s.profile),
    codecTimeBase: fractionString(s.codec_time_base) ?? invertFraction(s.r_frame_rate) ?? invertFraction(s.avg_frame_rate),
    codecTagString: str(s.codec_tag_string),
    codecTag: str(s.codec_tag),
    width: positive(s.width),
    height: positive(s.height),
    hasBFrames: nonNegative(s.has_b_frames),
    sar: fractionString(s.sample_aspect_ratio),
    dar: fractionString(s.display_aspect_ratio),
    pixFmt: str(s.pix_fmt),
    // ffprobe prints -99 (FF_LEVEL_UNKNOWN) when the codec has no level.
    level: level !== undefined && level >= 0 ? level : undefined,
    fps: rate(s.r_frame_rate),
    avgFps: rate(s.avg_frame_rate),
    timebase: fractionString(s.time_base),
    startTimeS: num(s.start_time),
    durationS: streamDuration(s, tags),
    numFrames: positive(s.nb_frames) ?? positive(tag(tags, 'NUMBER_OF_FRAMES')),
    lang: str(tags?.language),
    rotate: rotationOf(s, tags),
    bitrateKbps: streamBitrateKbps(s, tags),
    hdrType: hdrTypeOf(colorTransfer),
    colorTransfer,
    bitDepth: bitDepthOf(s),
  };
}

function audioStream(s: RawObject, index: number): AudioStreamInfo {
  const tags = asObject(s.tags);
  const sampleRate = positive(s.sample_rate);
  return {
    index,
    codecName: str(s.codec_name),
    codecLongName: str(s.codec_long_name),
    codecTimeBase: fractionString(s.codec_time_base) ?? (sampleRate !== undefined ? `1/${sampleRate}` : undefined),
    codecTagString: str(s.codec_tag_string),
    codecTag: str(s.codec_tag),
    sampleFmt: str(s.sample_fmt),
    sampleRate,
    channels: positive(s.channels),
    channelLayout: str(s.channel_layout),
    timebase: fractionString(s.time_base),
    startTimeS: num(s.start_time),
    durationS: streamDuration(s, tags),
    bitrateKbps: streamBitrateKbps(s, tags),
    numFrames: positive(s.nb_frames) ?? positive(tag(tags, 'NUMBER_OF_FRAMES')),
    lang: str(tags?.language),
  };
}

/** `duration`, else Matroska's per-track `DURATION` tag. */
function streamDuration(s: RawObject, tags: RawObject | undefined): number | undefined {
  return positive(s.duration) ?? clockDuration(tag(tags, 'DURATION'));
}

/** `bit_rate`, else Matroska's (mkvmerge) `BPS` tag; in kbit/s. */
function streamBitrateKbps(s: RawObject, tags: RawObject | undefined): number | undefined {
  const bps = positive(s.bit_rate) ?? positive(tag(tags, 'BPS'));
  return bps === undefined ? undefined : bps / 1000;
}

/** `25/1` → `1/25`; undefined when the rate is unknown (`0/0`). */
function invertFraction(v: unknown): string | undefined {
  const f = fraction(v);
  return f ? `${f.den}/${f.num}` : undefined;
}

/** Normalises any angle in degrees to a whole number in [0, 360). */
export function normaliseRotation(degrees: number): number {
  if (!Number.isFinite(degrees)) return 0;
  const r = ((Math.round(degrees) % 360) + 360) % 360;
  return r === 0 ? 0 : r; // no -0
}

/**
 * Clockwise rotation for display. ffprobe ≥ 4.x reports the display matrix in
 * `side_data_list[].rotation` as a counter-clockwise angle (a portrait phone video is −90); older
 * builds (and some muxers) put a clockwise `rotate` tag instead (`"90"`). The matrix wins.
 */
function rotationOf(s: RawObject, tags: RawObject | undefined): number {
  const sideData = Array.isArray(s.side_data_list) ? s.side_data_list : [];
  for (const entry of sideData) {
    const rotation = num(asObject(entry)?.rotation);
    if (rotation !== undefined) return normaliseRotation(-rotation);
  }
  const legacy = num(tags?.rotate);
  return legacy === undefined ? 0 : normaliseRotation(legacy);
}

function hdrTypeOf(colorTransfer: string | undefined): HdrType {
  if (colorTransfer === 'smpte2084') return 'HDR10';
  if (colorTransfer === 'arib-std-b67') return 'HLG';
  return 'SDR';
}

/** `bits_per_raw_sample`, else the depth in the pixel format name (`yuv420p10le` → 10, `p010le` → 10), else 8 for any other known format. */
function bitDepthOf(s: RawObject): number | undefined {
  const raw = positive(s.bits_per_raw_sample);
  if (raw !== undefined) return raw;
  const pixFmt = str(s.pix_fmt);
  if (pixFmt === undefined) return undefined;
  const planar = /p(\d{2})(?:le|be)$/.exec(pixFmt) ?? /^[pP]0(\d{2})(?:le|be)?$/.exec(pixFmt);
  return planar ? Number(planar[1]) : 8;
}
