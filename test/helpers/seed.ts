import type { Kysely } from 'kysely';
import { newMediaId } from '../../src/domain/ids.js';
import type { Database, VideoTable } from '../../src/store/schema.js';

export function videoRow(overrides: Partial<VideoTable> = {}): VideoTable {
  const now = Date.now();
  return {
    video_id: newMediaId(), app_id: 'app-1000000', title: 'Seeded video', description: '', tags: '', cate_id: null,
    status: 'Normal', size: null, duration: null, bitrate: null, fps: null, width: null, height: null, cover_url: '',
    snapshots: '[]', template_group_id: '', storage_location: 'openvod-default', storage_key: null, file_name: '',
    file_md5: null, format_name: null, media_info: null, user_data: '', reference_id: null, media_source: 'general',
    download_switch: 'on', created_at_ms: now, modified_at_ms: now, ...overrides,
  };
}

export async function seedVideo(db: Kysely<Database>, overrides: Partial<VideoTable> = {}): Promise<VideoTable> {
  const row = videoRow(overrides);
  await db.insertInto('videos').values(row).execute();
  return row;
}
