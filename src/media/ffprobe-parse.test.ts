// Canned ffprobe outputs (test/fixtures/ffprobe, provenance in each file's `_fixture`) → MediaInfo
// and the GetMezzanineInfo stream shapes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseFfprobeJson, normaliseRotation } from './ffprobe-parse.js';
import { MediaProbeError } from './media-errors.js';
import { definitionFor, formatForPlayInfo, toAnalysisSummary, toMezzanineAudioStream, toMezzanineVideoStream } from './media-info.js';
import type { MediaInfo } from './media-info.js';
import { coverTimeS } from './snapshot.js';

type Json = Record<string, unknown> & { streams: Record<string, unknown>[]; format: Record<string, unknown> };
const raw = (name: string): Json => JSON.parse(readFileSync(new URL(`../../test/fixtures/ffprobe/${name}.json`, import.meta.url), 'utf8')) as Json;
const fixture = (name: string): MediaInfo => parseFfprobeJson(raw(name));
const close = (actual: number | undefined, expected: number, what: string): void =>
  assert.ok(actual !== undefined && Math.abs(actual - expected) < 1e-6, `${what}: ${actual} ≈ ${expected}`);

test('mp4 (H.264 + AAC): every stream field mapped', () => {
  const info = fixture('mp4-h264-aac');
  const { mainVideo, videoStreams, audioStreams, ...top } = info;
  assert.deepEqual(top, {
    formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
    formatLongName: 'QuickTime / MOV',
    majorBrand: 'isom',
    durationS: 2,
    sizeBytes: 199064,
    bitrateKbps: 796.256,
    width: 320,
    height: 240,
    rotate: 0,
    displayWidth: 320,
    displayHeight: 240,
    fps: 25,
    hasAudioOrVideo: true,
  });
  assert.equal(videoStreams.length, 1);
  assert.equal(mainVideo, videoStreams[0]);
  assert.deepEqual(videoStreams[0], {
    index: 0,
    codecName: 'h264',
    codecLongName: 'H.264 / AVC / MPEG-4 AVC / MPEG-4 part 10',
    profile: 'Constrained Baseline',
    codecTimeBase: '1/25', // ffprobe 5 has no codec_time_base: derived from r_frame_rate
    codecTagString: 'avc1',
    codecTag: '0x31637661',
    width: 320,
    height: 240,
    hasBFrames: 0,
    sar: '1:1',
    dar: '4:3',
    pixFmt: 'yuv420p',
    level: 13,
    fps: 25,
    avgFps: 25,
    timebase: '1/12800',
    startTimeS: 0,
    durationS: 2,
    numFrames: 50,
    lang: 'und',
    rotate: 0,
    bitrateKbps: 720.32,
    hdrType: 'SDR',
    colorTransfer: undefined,
    bitDepth: 8,
  });
  assert.deepEqual(audioStreams, [
    {
      index: 1,
      codecName: 'aac',
      codecLongName: 'AAC (Advanced Audio Coding)',
      codecTimeBase: '1/48000',
      codecTagString: 'mp4a',
      codecTag: '0x6134706d',
      sampleFmt: 'fltp',
      sampleRate: 48000,
      channels: 1,
      channelLayout: 'mono',
      timebase: '1/48000',
      startTimeS: 0,
      durationS: 2,
      bitrateKbps: 65.022,
      numFrames: 95,
      lang: 'und',
    },
  ]);
});

test('mp4: GetMezzanineInfo stream lists carry every field, all strings', () => {
  const info = fixture('mp4-h264-aac');
  const video = toMezzanineVideoStream(info.videoStreams[0]!);
  assert.deepEqual(video, {
    Index: '0',
    CodecName: 'h264',
    CodecLongName: 'H.264 / AVC / MPEG-4 AVC / MPEG-4 part 10',
    Profile: 'Constrained Baseline',
    CodecTimeBase: '1/25',
    CodecTagString: 'avc1',
    CodecTag: '0x31637661',
    Width: '320',
    Height: '240',
    HasBFrames: '0',
    Sar: '1:1',
    Dar: '4:3',
    PixFmt: 'yuv420p',
    Level: '13',
    Fps: '25',
    AvgFPS: '25',
    Timebase: '1/12800',
    StartTime: '0.000000',
    Duration: '2.000000',
    NumFrames: '50',
    Lang: 'und',
    Rotate: '0',
    Bitrate: '720.32',
    HDRType: 'SDR',
  });
  const audio = toMezzanineAudioStream(info.audioStreams[0]!);
  assert.deepEqual(audio, {
    Index: '1',
    CodecName: 'aac',
    CodecLongName: 'AAC (Advanced Audio Coding)',
    CodecTimeBase: '1/48000',
    CodecTagString: 'mp4a',
    CodecTag: '0x6134706d',
    SampleFmt: 'fltp',
    SampleRate: '48000',
    Channels: '1',
    ChannelLayout: 'mono',
    Timebase: '1/48000',
    StartTime: '0.000000',
    Duration: '2.000000',
    Bitrate: '65.022',
    NumFrames: '95',
    Lang: 'und',
  });
  for (const v of [...Object.values(video), ...Object.values(audio)]) assert.equal(typeof v, 'string');
  assert.deepEqual(toAnalysisSummary(info), { Duration: '2', Bitrate: '796.256', Size: '199064', Width: '320', Height: '240', Fps: '25' });
  assert.equal(formatForPlayInfo(info, 'mp4'), 'mp4');
  assert.equal(definitionFor(info.height), 'FD');
});

test('mp3 with cover art: the attached picture is not a video stream', () => {
  const info = fixture('mp3-cover-art');
  assert.equal(raw('mp3-cover-art').streams.length, 2);
  assert.deepEqual(info.videoStreams, []);
  assert.equal(info.mainVideo, undefined);
  assert.equal(info.audioStreams.length, 1);
  assert.equal(info.audioStreams[0]?.codecName, 'mp3');
  assert.equal(info.audioStreams[0]?.codecTagString, '[0][0][0][0]');
  assert.equal(info.hasAudioOrVideo, true);
  assert.equal(info.width, undefined);
  assert.equal(info.height, undefined);
  assert.equal(info.fps, undefined);
  assert.equal(info.rotate, 0);
  close(info.durationS, 2.037551, 'duration');
  assert.equal(formatForPlayInfo(info, 'mp3'), 'mp3');
  assert.equal(definitionFor(info.height), 'SQ');
  assert.deepEqual(toAnalysisSummary(info), { Duration: '2.038', Bitrate: '66.059', Size: '16825' });
});

test('m4a with cover art: audio only, Format m4a from the extension or the M4A brand', () => {
  const info = fixture('m4a-cover-art');
  assert.deepEqual(info.videoStreams, []);
  assert.equal(info.audioStreams.length, 1);
  assert.equal(info.majorBrand, 'M4A');
  assert.equal(formatForPlayInfo(info, 'm4a'), 'm4a');
  assert.equal(formatForPlayInfo(info, undefined), 'm4a');
  assert.equal(formatForPlayInfo(info, 'mp4'), 'mp4');
});

test('rotated phone video: display matrix −90 → Rotate 90, coded size kept, display size swapped', () => {
  const info = fixture('rotated-phone');
  const v = info.videoStreams[0]!;
  assert.equal(v.rotate, 90);
  assert.equal(info.rotate, 90);
  assert.deepEqual([info.width, info.height, info.displayWidth, info.displayHeight], [640, 360, 360, 640]);
  assert.equal(toMezzanineVideoStream(v).Rotate, '90');
  assert.equal(info.fps, 30);
  assert.equal(info.majorBrand, 'qt');
  assert.equal(formatForPlayInfo(info, 'MOV'), 'mov');
  assert.equal(formatForPlayInfo(info, undefined), 'mov'); // by the `qt  ` brand
  assert.equal(definitionFor(Math.min(info.width!, info.height!)), 'FD');
});

test('legacy rotate tag (ffprobe ≤ 4): clockwise tag used as is; codec_time_base kept when printed', () => {
  const info = fixture('rotate-tag-legacy');
  assert.equal(info.rotate, 270);
  assert.deepEqual([info.displayWidth, info.displayHeight], [360, 640]);
  assert.equal(info.videoStreams[0]?.codecTimeBase, '1/60');
  assert.equal(info.audioStreams[0]?.codecTimeBase, '1/48000');
});

test('rotation from side data or tag is normalised to [0, 360)', () => {
  const base = raw('rotated-phone');
  const withRotation = (sideData: unknown, tags?: Record<string, unknown>): number => {
    const doc = structuredClone(base);
    const v = doc.streams[0]!;
    if (sideData === undefined) delete v.side_data_list;
    else v.side_data_list = sideData;
    if (tags) v.tags = tags;
    return parseFfprobeJson(doc).rotate;
  };
  assert.equal(withRotation([{ side_data_type: 'Display Matrix', rotation: 90 }]), 270);
  assert.equal(withRotation([{ side_data_type: 'Display Matrix', rotation: -270 }]), 270);
  assert.equal(withRotation([{ side_data_type: 'Display Matrix', rotation: 270 }]), 90);
  assert.equal(withRotation([{ side_data_type: 'Display Matrix', rotation: 180 }]), 180);
  assert.equal(withRotation([{ side_data_type: 'Display Matrix', rotation: -180 }]), 180);
  assert.equal(withRotation([{ side_data_type: 'Display Matrix', rotation: '-90.00' }]), 90);
  assert.equal(withRotation([{ side_data_type: 'Display Matrix', rotation: 0 }]), 0);
  assert.equal(withRotation([{ side_data_type: 'Stereo 3D' }, { side_data_type: 'Display Matrix', rotation: -90 }]), 90);
  assert.equal(withRotation(undefined, { rotate: '-90' }), 270);
  assert.equal(withRotation(undefined, { rotate: '450' }), 90);
  assert.equal(withRotation(undefined, { rotate: 'N/A' }), 0);
  assert.equal(withRotation('garbage'), 0);
  for (const d of [-720, -361, -360, -90, -0, 0, 0.4, 89.6, 359.4, 359.6, 360, 725]) {
    const r = normaliseRotation(d);
    assert.ok(r >= 0 && r < 360 && Number.isInteger(r) && !Object.is(r, -0), `${d} → ${r}`);
  }
  assert.equal(normaliseRotation(359.6), 0);
  assert.equal(normaliseRotation(Number.NaN), 0);
});

test('HDR10 (smpte2084) and HLG (arib-std-b67) detection; everything else SDR', () => {
  const info = fixture('hdr10-hevc');
  const v = info.videoStreams[0]!;
  assert.equal(v.hdrType, 'HDR10');
  assert.equal(v.colorTransfer, 'smpte2084');
  assert.equal(v.bitDepth, 10);
  assert.equal(v.profile, 'Main 10');
  assert.equal(v.codecTagString, 'hvc1');
  assert.equal(v.hasBFrames, 2);
  assert.equal(v.lang, 'eng');
  assert.equal(info.audioStreams[0]?.channelLayout, 'stereo');
  assert.equal(toMezzanineVideoStream(v).HDRType, 'HDR10');

  const withTransfer = (t: string | undefined): string => {
    const doc = structuredClone(raw('hdr10-hevc'));
    if (t === undefined) delete doc.streams[0]!.color_transfer;
    else doc.streams[0]!.color_transfer = t;
    return parseFfprobeJson(doc).videoStreams[0]!.hdrType;
  };
  assert.equal(withTransfer('arib-std-b67'), 'HLG');
  assert.equal(withTransfer('bt709'), 'SDR');
  assert.equal(withTransfer('unknown'), 'SDR');
  assert.equal(withTransfer(undefined), 'SDR');
});

test('WebM: stream durations from Matroska DURATION tags, negative start time kept', () => {
  const info = fixture('webm-matroska-tags');
  close(info.videoStreams[0]?.durationS, 2.007, 'video duration');
  close(info.audioStreams[0]?.durationS, 2.008, 'audio duration');
  close(info.audioStreams[0]?.startTimeS, -0.007, 'audio start');
  assert.equal(info.videoStreams[0]?.level, undefined); // ffprobe prints -99 for "no level"
  assert.equal(toMezzanineVideoStream(info.videoStreams[0]!).Level, '');
  assert.equal(toMezzanineAudioStream(info.audioStreams[0]!).StartTime, '-0.007000');
  assert.equal(formatForPlayInfo(info, undefined), 'webm'); // VP8 + Opus only
  assert.equal(formatForPlayInfo(info, 'mkv'), 'mkv');
});

test("'N/A' everywhere: unknown, never NaN or 0", () => {
  const info = fixture('na-durations');
  assert.equal(info.durationS, undefined);
  assert.equal(info.videoStreams[0]?.durationS, undefined);
  assert.equal(info.videoStreams[0]?.numFrames, undefined);
  assert.equal(info.videoStreams[0]?.bitrateKbps, undefined);
  assert.equal(info.videoStreams[0]?.hdrType, 'SDR'); // color_transfer "unknown"
  assert.equal(info.audioStreams[0]?.bitrateKbps, 64);
  assert.equal(info.bitrateKbps, 788.697);
  assert.equal(info.fps, 25);
  const wire = toMezzanineVideoStream(info.videoStreams[0]!);
  assert.equal(wire.Duration, '');
  assert.equal(wire.NumFrames, '');
  assert.equal(wire.Bitrate, '');
  assert.equal(wire.CodecTagString, '[0][0][0][0]');
  assert.equal(toAnalysisSummary(info).Duration, '');
  assert.equal(coverTimeS(info), 0);
  assert.equal(formatForPlayInfo(info, 'flv'), 'flv');
  for (const s of [...info.videoStreams, ...info.audioStreams]) {
    for (const [k, v] of Object.entries(s)) assert.ok(typeof v !== 'number' || Number.isFinite(v), `${k} is ${v}`);
  }
});

test('missing avg_frame_rate: fps falls back to r_frame_rate; 0/0 rates are unknown', () => {
  const info = fixture('missing-avg-frame-rate');
  const v = info.videoStreams[0]!;
  assert.equal(v.avgFps, undefined);
  close(v.fps, 30000 / 1001, 'r_frame_rate');
  close(info.fps, 30000 / 1001, 'top-level fps');
  assert.equal(v.codecTimeBase, '1001/30000');
  const wire = toMezzanineVideoStream(v);
  assert.equal(wire.Fps, '29.97');
  assert.equal(wire.AvgFPS, '');
  assert.equal(toAnalysisSummary(info).Fps, '29.97');
});

test('no streams: parses, with nothing to play; ffprobe failure output is rejected', () => {
  const info = fixture('no-streams');
  assert.equal(info.hasAudioOrVideo, false);
  assert.deepEqual([info.videoStreams, info.audioStreams], [[], []]);
  assert.equal(info.durationS, undefined);
  assert.equal(info.bitrateKbps, undefined);
  assert.equal(info.sizeBytes, 215);

  for (const bad of [{}, null, 'text', 42, [], { format: {} }, { streams: [] }, { streams: {}, format: {} }, { streams: [], format: 'x' }]) {
    assert.throws(
      () => parseFfprobeJson(bad),
      (err: unknown) => err instanceof MediaProbeError && err.code === 'InvalidMediaFile',
      JSON.stringify(bad),
    );
  }
});

test('tolerates junk entries and missing fields', () => {
  const info = parseFfprobeJson({
    streams: [null, 7, 'x', { codec_type: 'video' }, { codec_type: 'audio', sample_rate: 'N/A', channels: 0 }, { codec_type: 'subtitle', index: 9 }, { codec_type: 'data' }],
    format: { size: '-1', duration: '0', bit_rate: 'N/A' },
  });
  assert.equal(info.formatName, '');
  assert.equal(info.videoStreams.length, 1);
  assert.equal(info.videoStreams[0]?.index, 3); // position when ffprobe gave no index
  assert.equal(info.videoStreams[0]?.width, undefined);
  assert.equal(info.videoStreams[0]?.codecTimeBase, undefined);
  assert.equal(info.videoStreams[0]?.bitDepth, undefined);
  assert.equal(info.audioStreams[0]?.sampleRate, undefined);
  assert.equal(info.audioStreams[0]?.channels, undefined);
  assert.equal(info.audioStreams[0]?.codecTimeBase, undefined);
  assert.equal(info.sizeBytes, undefined);
  assert.equal(info.durationS, undefined);
  assert.equal(info.bitrateKbps, undefined);
  assert.equal(info.fps, undefined);
  const wire = toMezzanineVideoStream(info.videoStreams[0]!);
  assert.equal(wire.CodecName, '');
  assert.equal(wire.Width, '');
  for (const v of Object.values(wire)) assert.equal(typeof v, 'string');
});

test('an image container is not video', () => {
  const info = parseFfprobeJson({
    streams: [{ index: 0, codec_type: 'video', codec_name: 'png', width: 64, height: 48, disposition: { default: 0, attached_pic: 0 } }],
    format: { format_name: 'png_pipe', size: '1234' },
  });
  assert.equal(info.hasAudioOrVideo, false);
});

test('bit rate computed from size and duration when the container has none', () => {
  const doc = structuredClone(raw('mp4-h264-aac'));
  delete doc.format.bit_rate;
  const info = parseFfprobeJson(doc);
  close(info.bitrateKbps, (199064 * 8) / 2 / 1000, 'computed bitrate');
});

test('main video stream: the default-disposition one wins over the first', () => {
  const doc = structuredClone(raw('mp4-h264-aac'));
  const second = structuredClone(doc.streams[0]!);
  second.index = 2;
  second.width = 1280;
  second.height = 720;
  (doc.streams[0]!.disposition as Record<string, unknown>).default = 0;
  doc.streams.push(second);
  const info = parseFfprobeJson(doc);
  assert.equal(info.videoStreams.length, 2);
  assert.equal(info.mainVideo?.index, 2);
  assert.deepEqual([info.width, info.height], [1280, 720]);
});
