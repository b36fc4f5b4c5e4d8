import type { VideoTable } from '../store/schema.js';

export interface NewVideo {
  videoId: string;
  appId: string;
  nowMs: number;
  storageLocation: string;
  title: string;
  description: string;
  tags: string;
  cateId: number | undefined;
  coverUrl: string;
  templateGroupId: string;
  userData: string;
  fileName: string;
  referenceId?: string | undefined;
}

/** A new media record in `Uploading`, before any byte is stored. */
export function videoRowForUpload(v: NewVideo): VideoTable {
  return {
    video_id: v.videoId, app_id: v.appId, title: v.title, description: v.description, tags: v.tags, cate_id: v.cateId ?? null,
    status: 'Uploading', size: null, duration: null, bitrate: null, fps: null, width: null, height: null,
    cover_url: v.coverUrl, snapshots: '[]', template_group_id: v.templateGroupId, storage_location: v.storageLocation,
    storage_key: null, file_name: v.fileName, file_md5: null, format_name: null, media_info: null, user_data: v.userData,
    reference_id: v.referenceId ?? null, media_source: 'general', download_switch: 'on', created_at_ms: v.nowMs, modified_at_ms: v.nowMs,
  };
}
