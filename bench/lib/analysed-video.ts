// A video row as the analysis leaves it, for benches that read videos: a 10-minute 720p H.264/AAC
// MP4, its `media_info` the normalised ffprobe output of such a file (≈ 1.5 KiB of JSON), so a read
// moves what a real one does. Typed against MediaInfo, so it follows that type's changes.
import type { MediaInfo, VideoStreamInfo } from '../../src/media/media-info.js';
import type { VideoTable } from '../../src/store/schema.js';

const VIDEO_STREAM: VideoStreamInfo = {
  index: 0,
  codecName: 'h264',
  codecLongName: 'H.264 / AVC / MPEG-4 AVC / MPEG-4 part 10',
  profile: 'High',
  codecTimeBase: '1/25',
  codecTagString: 'avc1',
  codecTag: '0x31637661',
  width: 1280,
  height: 720,
  hasBFrames: 2,
  sar: '1:1',
  dar: '16:9',
  pixFmt: 'yuv420p',
  level: 31,
  fps: 25,
  avgFps: 25,
  timebase: '1/12800',
  startTimeS: 0,
  durationS: 600.04,
  numFrames: 15001,
  lang: 'und',
  rotate: 0,
  bitrateKbps: 1126.4,
  hdrType: 'SDR',
  bitDepth: 8,
  colorTransfer: undefined,
};

const MEDIA_INFO: MediaInfo = {
  formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
  formatLongName: 'QuickTime / MOV',
  majorBrand: 'isom',
  durationS: 600.04,
  sizeBytes: 94_371_840,
  bitrateKbps: 1258.2,
  videoStreams: [VIDEO_STREAM],
  audioStreams: [
    {
      index: 1,
      codecName: 'aac',
      codecLongName: 'AAC (Advanced Audio Coding)',
      codecTimeBase: '1/44100',
      codecTagString: 'mp4a',
      codecTag: '0x6134706d',
      sampleFmt: 'fltp',
      sampleRate: 44100,
      channels: 2,
      channelLayout: 'stereo',
      timebase: '1/44100',
      startTimeS: 0,
      durationS: 600.04,
      bitrateKbps: 128.0,
      numFrames: 25842,
      lang: 'und'
    }
  ],
  mainVideo: VIDEO_STREAM,
  width: 1280,
  height: 720,
  rotate: 0,
  displayWidth: 1280,
  displayHeight: 720,
  fps: 25,
  hasAudioOrVideo: true,
};

/** Columns of a probed, `Normal` video (merge over test/helpers/seed.ts's videoRow). */
export function analysedVideoColumns(videoId: string): Partial<VideoTable> {
  return {
    title: 'Product launch keynote (720p)', description: 'Recorded live; chapters in the description of the original upload.', tags: 'keynote,launch,2026',
    status: 'Normal', size: MEDIA_INFO.sizeBytes ?? null, duration: MEDIA_INFO.durationS ?? null, bitrate: MEDIA_INFO.bitrateKbps ?? null,
    fps: MEDIA_INFO.fps ?? null, width: MEDIA_INFO.width ?? null, height: MEDIA_INFO.height ?? null,
    cover_url: `blob:${videoId}/cover.jpg`, snapshots: JSON.stringify([`blob:${videoId}/cover.jpg`]),
    storage_key: `${videoId}/original.mp4`, file_name: 'keynote-720p.mp4', file_md5: '9e107d9d372bb6826bd81d3542a419d6',
    format_name: MEDIA_INFO.formatName, media_info: JSON.stringify(MEDIA_INFO), user_data: JSON.stringify({ Extend: { source: 'legacy-cms/42' } }),
  };
}
