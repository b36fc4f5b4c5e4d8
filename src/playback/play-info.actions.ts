// GetPlayInfo and GetMezzanineInfo (reference §5, §7). Without transcoding, the one stream a
// video has is its stored original: GetPlayInfo answers it as a PlayInfo with its real format and
// Definition `OD` (original definition); GetMezzanineInfo describes the same file in full.
import type { ActionContext, ActionTable } from '../api/rpc/action.js';
import type { Params } from '../api/rpc/params.js';
import { ApiError, invalid, missing } from '../domain/errors.js';
import { isoSeconds } from '../domain/time.js';
import type { MediaInfo } from '../media/media-info.js';
import { formatForPlayInfo, toMezzanineAudioStream, toMezzanineVideoStream } from '../media/media-info.js';
import { findVideo, findVideoByReference, type VideoRow } from '../videos/video.repository.js';
import { signedObjectUrl, storedUrlRenderer } from './playback-urls.js';

const DEFINITIONS = ['FD', 'LD', 'SD', 'HD', 'OD', '2K', '4K', 'SQ', 'HQ', 'AUTO'];
const FORMATS = ['mp4', 'm3u8', 'mp3', 'flv', 'mpd'];

async function target(ctx: ActionContext, p: Params): Promise<VideoRow> {
  const id = p.get('VideoId');
  const ref = p.get('ReferenceId');
  if (id === undefined && ref === undefined) throw missing('VideoId');
  const row = id !== undefined ? await findVideo(ctx.deps.store.db, id) : await findVideoByReference(ctx.deps.store.db, ref as string);
  if (!row) throw new ApiError('InvalidVideo.NotFound');
  return row;
}

function authTimeout(p: Params, max: number): number | undefined {
  return p.int('AuthTimeout', { min: 1, max });
}

const mediaInfoOf = (row: VideoRow): MediaInfo | undefined => (row.media_info === null ? undefined : (JSON.parse(row.media_info) as MediaInfo));
const extOf = (key: string): string => /\.([A-Za-z0-9]+)$/.exec(key)?.[1]?.toLowerCase() ?? '';
const num = (v: number | null | undefined): string => (v === null || v === undefined ? '' : String(Math.round(v * 1000) / 1000));

export const playInfoActions: ActionTable = {
  async GetPlayInfo(ctx, p) {
    const row = await target(ctx, p);
    const timeout = authTimeout(p, 31_536_000);
    const formats = p.list('Formats', { max: 10 })?.map((f) => f.toLowerCase());
    for (const f of formats ?? []) if (!FORMATS.includes(f)) throw invalid('Formats', `Unknown format "${f}".`);
    const definitions = p.list('Definition', { max: 10 })?.map((d) => d.toUpperCase());
    for (const d of definitions ?? []) if (!DEFINITIONS.includes(d)) throw invalid('Definition', `Unknown definition "${d}".`);
    const streamType = p.oneOf('StreamType', ['video', 'audio'] as const);
    p.oneOf('ResultType', ['Single', 'Multiple'] as const);
    p.oneOf('OutputType', ['cdn', 'oss'] as const);
    if (row.status !== 'Normal') throw new ApiError('Forbidden.IllegalStatus', `Status of the video is illegal: ${row.status}.`);
    const info = mediaInfoOf(row);
    const key = row.storage_key;
    if (key === null || info === undefined) throw new ApiError('InvalidVideo.NoneStream', 'The video has no playable stream.');

    const isAudio = info.videoStreams.length === 0;
    const format = formatForPlayInfo(info, extOf(key));
    const url = storedUrlRenderer(ctx.deps, ctx.nowMs, timeout);
    const matches = (!formats || formats.includes(format)) && (!definitions || definitions.includes('OD')) && (!streamType || streamType === (isAudio ? 'audio' : 'video'));
    if (!matches) throw new ApiError('InvalidVideo.NoneStream', 'No stream of the video matches Formats/Definition/StreamType.');
    const video = info.videoStreams[0];
    const playInfo: Record<string, unknown> = {
      PlayURL: signedObjectUrl(ctx.deps, row.storage_location, key, ctx.nowMs, timeout),
      Format: format,
      Definition: 'OD',
      Specification: 'Original',
      Bitrate: num(row.bitrate),
      Duration: num(row.duration),
      Fps: num(row.fps),
      Size: row.size ?? 0,
      Width: row.width ?? 0,
      Height: row.height ?? 0,
      StreamType: isAudio ? 'audio' : 'video',
      Encrypt: 0,
      Status: 'Normal',
      NarrowBandType: '0',
      CreationTime: isoSeconds(row.created_at_ms),
      ModificationTime: isoSeconds(row.modified_at_ms),
      JobId: '',
    };
    const codec = video?.codecName ?? info.audioStreams[0]?.codecName;
    if (codec !== undefined) playInfo.CodecName = codec;
    if (video?.hdrType !== undefined) playInfo.HDRType = video.hdrType;
    const base: Record<string, unknown> = {
      VideoId: row.video_id, Title: row.title, Duration: num(row.duration), Status: row.status,
      CreationTime: isoSeconds(row.created_at_ms), MediaType: isAudio ? 'audio' : 'video', StorageClass: 'Standard',
    };
    if (row.cover_url !== '') base.CoverURL = url(row.cover_url);
    return { VideoBase: base, PlayInfoList: { PlayInfo: [playInfo] } };
  },

  async GetMezzanineInfo(ctx, p) {
    const row = await target(ctx, p);
    const outputType = p.oneOf('OutputType', ['cdn', 'oss'] as const) ?? 'cdn';
    const timeout = authTimeout(p, outputType === 'oss' ? 2_592_000 : 31_536_000) ?? 3600;
    const additions = p.list('AdditionType', { max: 2 }) ?? [];
    for (const a of additions) if (a !== 'video' && a !== 'audio') throw invalid('AdditionType', `Unknown addition type "${a}"; use video and/or audio.`);
    const info = mediaInfoOf(row);
    const key = row.storage_key;
    const mezzanine: Record<string, unknown> = {
      VideoId: row.video_id,
      FileName: row.file_name,
      CreationTime: isoSeconds(row.created_at_ms),
      Status: row.status === 'Normal' || row.status === 'UploadSucc' ? 'Normal' : row.status === 'UploadFail' ? 'UploadFail' : 'Uploading',
      OutputType: outputType,
      PreprocessStatus: 'UnPreprocess',
      StorageClass: 'Standard',
    };
    if (key !== null) mezzanine.FileURL = signedObjectUrl(ctx.deps, row.storage_location, key, ctx.nowMs, timeout);
    if (row.size !== null) mezzanine.Size = row.size;
    if (row.duration !== null) mezzanine.Duration = num(row.duration);
    if (row.bitrate !== null) mezzanine.Bitrate = num(row.bitrate);
    if (row.fps !== null) mezzanine.Fps = num(row.fps);
    if (row.width !== null) mezzanine.Width = row.width;
    if (row.height !== null) mezzanine.Height = row.height;
    if (row.file_md5 !== null) mezzanine.FileMD5 = row.file_md5;
    if (info && additions.includes('video')) mezzanine.VideoStreamList = info.videoStreams.map(toMezzanineVideoStream);
    if (info && additions.includes('audio')) mezzanine.AudioStreamList = info.audioStreams.map(toMezzanineAudioStream);
    return { Mezzanine: mezzanine };
  },
};
