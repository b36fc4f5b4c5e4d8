// SearchMedia's MediaList items (reference §6): `{ MediaId, MediaType, CreationTime, Video }`, the
// Video carrying VideoId plus the fields asked for in `Fields`, typed as GetVideoInfos types them
// (CateId, Duration, Size numbers; Snapshots a plain array). Values come from the shared video
// rendering (video.view.ts); absent values are omitted, as the service does.
import { isoSeconds } from '../domain/time.js';
import { snapshotUrls, type UrlRenderer, videoView } from '../videos/video.view.js';
import type { VideoRow } from '../videos/video.repository.js';

/** OpenVOD stores media as uploaded: nothing is transcoded. */
const TRANSCODE_MODE = 'NoTranscode';

type Extra = (row: VideoRow, url: UrlRenderer) => unknown;

/** Fields not in the shared view. PreprocessStatus, RestoreStatus, RestoreExpiration: never set. */
const EXTRA: Readonly<Record<string, Extra>> = {
  Snapshots: (row, url) => snapshotUrls(row, url),
  SpriteSnapshots: () => [],
  MediaSource: (row) => row.media_source,
  TranscodeMode: () => TRANSCODE_MODE,
  PreprocessStatus: () => undefined,
  RestoreStatus: () => undefined,
  RestoreExpiration: () => undefined,
};

export function mediaListItem(row: VideoRow, fields: ReadonlySet<string>, url: UrlRenderer) {
  return { MediaId: row.video_id, MediaType: 'video' as const, CreationTime: isoSeconds(row.created_at_ms), Video: videoFields(row, fields, url) };
}

function videoFields(row: VideoRow, fields: ReadonlySet<string>, url: UrlRenderer): Record<string, unknown> {
  const out: Record<string, unknown> = { VideoId: row.video_id };
  let view: Record<string, unknown> | undefined;
  for (const name of fields) {
    if (name === 'VideoId') continue;
    const extra = EXTRA[name];
    let value: unknown;
    if (extra) value = extra(row, url);
    else {
      view ??= { ...videoView(row, url) };
      value = view[name];
    }
    if (value !== undefined) out[name] = value;
  }
  return out;
}
