// Kysely table types. Times are epoch milliseconds (bigint in Postgres, parsed to number).
import type { Generated } from 'kysely';

export interface AccessKeyTable {
  access_key_id: string;
  access_key_secret: string;
  status: 'Active' | 'Inactive';
  /** JSON array of allowed action names, or null for every action. */
  allowed_actions: string | null;
  description: string;
  is_root: number;
  created_at_ms: number;
}

export interface SignatureNonceTable {
  access_key_id: string;
  nonce: string;
  expires_at_ms: number;
}

export interface SettingTable {
  name: string;
  value: string;
}

export interface CategoryTable {
  cate_id: Generated<number>;
  app_id: string;
  parent_id: number;
  level: number;
  cate_name: string;
  type: 'default' | 'material';
  created_at_ms: number;
}

export interface VideoTable {
  video_id: string;
  app_id: string;
  title: string;
  description: string;
  tags: string;
  cate_id: number | null;
  status: string;
  size: number | null;
  duration: number | null;
  bitrate: number | null;
  fps: number | null;
  width: number | null;
  height: number | null;
  cover_url: string;
  /** JSON array of snapshot object keys or URLs. */
  snapshots: string;
  template_group_id: string;
  storage_location: string;
  /** Blob-store key of the stored original, once there is one. */
  storage_key: string | null;
  file_name: string;
  file_md5: string | null;
  format_name: string | null;
  /** JSON of our MediaInfo (normalised ffprobe output), once probed. */
  media_info: string | null;
  user_data: string;
  reference_id: string | null;
  media_source: string;
  download_switch: string;
  created_at_ms: number;
  modified_at_ms: number;
}

/** Event outbox: written in the same transaction as the state change it reports. */
export interface EventTable {
  seq: Generated<number>;
  event_id: string;
  app_id: string;
  media_id: string | null;
  event_type: string;
  /** JSON body, exactly as it will be delivered. */
  body: string;
  created_at_ms: number;
}

export interface JobTable {
  job_id: string;
  kind: string;
  payload: string;
  status: 'ready' | 'running' | 'succeeded' | 'dead' | 'cancelled';
  attempts: number;
  max_attempts: number;
  run_at_ms: number;
  locked_by: string | null;
  locked_until_ms: number | null;
  last_error: string | null;
  created_at_ms: number;
  updated_at_ms: number;
  finished_at_ms: number | null;
}

export interface Database {
  access_keys: AccessKeyTable;
  signature_nonces: SignatureNonceTable;
  settings: SettingTable;
  categories: CategoryTable;
  videos: VideoTable;
  events: EventTable;
  jobs: JobTable;
}
