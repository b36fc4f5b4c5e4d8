// Video rows rendered in the exact shapes of the reference (§7). Shapes differ per operation:
// GetVideoInfo wraps Snapshots as {Snapshot:[…]}, GetVideoInfos uses a plain array, GetVideoList
// wraps both the list and the snapshots. Absent values are omitted, as the service does.
import { isoSeconds } from '../domain/time.js';
import type { VideoViewRow } from './video.repository.js';

/** Turns a stored URL reference (an external URL, or `blob:<key>` for our own store) into a URL. */
export type UrlRenderer = (stored: string) => string;

export interface VideoView {
  VideoId: string;
  Title: string;
  Description?: string;
  Duration?: number;
  CoverURL?: string;
  Status: string;
  CreationTime: string;
  ModificationTime: string;
  Size?: number;
  CateId?: number;
  CateName?: string;
  Tags?: string;
  TemplateGroupId?: string;
  StorageLocation: string;
  AppId: string;
  DownloadSwitch: string;
  UserData?: string;
  StorageClass: string;
  ReferenceId?: string;
}

export const snapshotUrls = (row: VideoViewRow, url: UrlRenderer): string[] =>
  (JSON.parse(row.snapshots) as string[]).map(url);

export function videoView(row: VideoViewRow, url: UrlRenderer): VideoView {
  const v: VideoView = {
    VideoId: row.video_id,
    Title: row.title,
    Status: row.status,
    CreationTime: isoSeconds(row.created_at_ms),
    ModificationTime: isoSeconds(row.modified_at_ms),
    StorageLocation: row.storage_location,
    AppId: row.app_id,
    DownloadSwitch: row.download_switch,
    StorageClass: 'Standard',
  };
  if (row.description !== '') v.Description = row.description;
  if (row.duration !== null) v.Duration = Math.round(row.duration * 1000) / 1000;
  if (row.cover_url !== '') v.CoverURL = url(row.cover_url);
  if (row.size !== null) v.Size = row.size;
  if (row.cate_id !== null) v.CateId = row.cate_id;
  if (row.cate_name !== null) v.CateName = row.cate_name;
  if (row.tags !== '') v.Tags = row.tags;
  if (row.template_group_id !== '') v.TemplateGroupId = row.template_group_id;
  if (row.user_data !== '') v.UserData = row.user_data;
  if (row.reference_id !== null) v.ReferenceId = row.reference_id;
  return v;
}

/** GetVideoInfo: adds RegionId and AuditStatus; Snapshots wrapped. */
export const videoInfoView = (row: VideoViewRow, url: UrlRenderer, regionId: string) => ({
  ...videoView(row, url),
  RegionId: regionId,
  AuditStatus: row.status === 'Blocked' ? 'Blocked' : 'Normal',
  Snapshots: { Snapshot: snapshotUrls(row, url) },
});

/** GetVideoInfos: plain Snapshots array. */
export const videoInfosItemView = (row: VideoViewRow, url: UrlRenderer) => ({ ...videoView(row, url), Snapshots: snapshotUrls(row, url) });

/** GetVideoList: wrapped Snapshots. */
export const videoListItemView = (row: VideoViewRow, url: UrlRenderer) => ({ ...videoView(row, url), Snapshots: { Snapshot: snapshotUrls(row, url) } });
