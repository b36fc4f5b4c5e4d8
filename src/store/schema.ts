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

export type UrlJobStatus =
  | 'PENDING' | 'DOWNLOADING' | 'DOWNLOAD_SUCCESS' | 'DOWNLOAD_FAIL' | 'UPLOADING' | 'UPLOAD_SUCCESS' | 'UPLOAD_FAIL' | 'SUCCESS';

export interface UrlUploadJobTable {
  job_id: string;
  app_id: string;
  video_id: string;
  source_url: string;
  status: UrlJobStatus;
  /** Extension the stored file gets (from FileExtension or the URL path). */
  file_extension: string;
  /** FileSize from UploadMetadatas, if the caller gave one. */
  declared_size: number | null;
  file_size: number | null;
  bytes_fetched: number;
  md5: string | null;
  final_url: string | null;
  resume_etag: string | null;
  resume_last_modified: string | null;
  /** The resource size the origin declared to the download in progress (checked on resume). */
  resume_total: number | null;
  /** CoverURL from UploadMetadatas: when set, no cover is grabbed. */
  cover_url: string;
  error_code: string | null;
  error_message: string | null;
  user_data: string;
  session_id: string | null;
  /** The storage the source goes to (the video's StorageLocation). */
  storage_location: Generated<string>;
  created_at_ms: number;
  updated_at_ms: number;
  completed_at_ms: number | null;
}

/** An object of a declared storage registered as a media (RegisterMedia); never deleted by OpenVOD. */
export interface RegisteredObjectTable {
  storage_location: string;
  object_key: string;
  media_id: string;
  created_at_ms: number;
}

export interface UploadSessionTable {
  session_id: string;
  request_hash: string;
  response: string;
  created_at_ms: number;
}

export interface Database {
  url_upload_jobs: UrlUploadJobTable;
  upload_sessions: UploadSessionTable;
  access_keys: AccessKeyTable;
  signature_nonces: SignatureNonceTable;
  settings: SettingTable;
  categories: CategoryTable;
  videos: VideoTable;
  events: EventTable;
  jobs: JobTable;
  message_callbacks: MessageCallbackTable;
  event_deliveries: EventDeliveryTable;
  upload_credentials: UploadCredentialTable;
  upload_objects: UploadObjectTable;
  multipart_uploads: MultipartUploadTable;
  multipart_parts: MultipartPartTable;
  images: ImageTable;
  registered_objects: RegisteredObjectTable;
  search_scrolls: SearchScrollTable;
  search_scroll_cursors: SearchScrollCursorTable;
}

/** The HTTP callback configuration of one app (SetMessageCallback). */
export interface MessageCallbackTable {
  app_id: string;
  callback_type: 'HTTP';
  callback_url: string;
  /** `ALL`, or a comma list of event type names; empty = every event off. */
  event_types: string;
  auth_switch: 'on' | 'off';
  auth_key: string;
  created_at_ms: number;
  updated_at_ms: number;
}

export type EventDeliveryStatus = 'pending' | 'delivered' | 'dead' | 'skipped';

/** One delivery per outbox event, inserted in the event's transaction; also the delivery log. */
export interface EventDeliveryTable {
  /** The event's `events.seq`: orders the deliveries of one media. */
  seq: number;
  event_id: string;
  app_id: string;
  media_id: string | null;
  event_type: string;
  /** UserData.MessageCallback.CallbackURL of the media, captured when the event was recorded. */
  override_url: string | null;
  status: EventDeliveryStatus;
  attempts: number;
  /** When the delivery became pending (recorded or redelivered): the retry horizon counts from here. */
  scheduled_at_ms: number;
  next_attempt_at_ms: number;
  /** Claim token of the dispatcher holding the delivery, while it is in flight. */
  locked_by: string | null;
  locked_until_ms: number | null;
  /** The URL of the last attempt. */
  target_url: string | null;
  last_status_code: number | null;
  last_error: string | null;
  last_attempt_at_ms: number | null;
  delivered_at_ms: number | null;
  created_at_ms: number;
  updated_at_ms: number;
}

/** A temporary upload credential (UploadAuth): may write exactly one object until it expires. */
export interface UploadCredentialTable {
  /** `STS.` + random. */
  access_key_id: string;
  access_key_secret: string;
  security_token: string;
  bucket: string;
  object_key: string;
  expires_at_ms: number;
  created_at_ms: number;
}

/** An object that an UploadAddress names, the media it feeds and, once written, what was stored. */
export interface UploadObjectTable {
  object_key: string;
  bucket: string;
  media_type: 'video' | 'image';
  media_id: string;
  app_id: string;
  /** Where the bytes live in the blob store (`<mediaId>/source.<ext>`, `<imageId>/image.<ext>`). */
  blob_key: string;
  content_type: string;
  size: number | null;
  /** The OSS ETag without quotes: uppercase MD5 hex, or `<hex>-<parts>` for a multipart object. */
  etag: string | null;
  /** base64 MD5 of the whole object (Normal objects only, as OSS answers HEAD). */
  content_md5: string | null;
  /** x-oss-hash-crc64ecma, unsigned decimal. */
  crc64: string | null;
  object_type: 'Normal' | 'Multipart' | null;
  stored_at_ms: number | null;
  created_at_ms: number;
}

export interface MultipartUploadTable {
  /** 32 uppercase hex characters, as OSS makes them. */
  upload_id: string;
  object_key: string;
  bucket: string;
  media_id: string;
  content_type: string;
  created_at_ms: number;
}

/** One uploaded part; its bytes are the blob `blob_key` (a re-upload writes a new blob). */
export interface MultipartPartTable {
  upload_id: string;
  part_number: number;
  blob_key: string;
  /** Lowercase MD5 hex of the part. */
  etag: string;
  size: number;
  crc64: string;
  updated_at_ms: number;
}

/** An image made by CreateUploadImage. */
export interface ImageTable {
  image_id: string;
  app_id: string;
  image_type: 'default' | 'cover';
  image_ext: string;
  title: string;
  description: string;
  tags: string;
  cate_id: number | null;
  storage_location: string;
  /** `Uploading` until its object is written, then `Normal`. */
  status: string;
  original_file_name: string;
  blob_key: string;
  object_key: string;
  size: number | null;
  file_md5: string | null;
  user_data: string;
  created_at_ms: number;
  modified_at_ms: number;
}

/** A SearchMedia scroll (ScrollToken): the search it continues, its snapshot bound and Total. */
export interface SearchScrollTable {
  /** 32 lowercase hex characters. */
  token: string;
  search_type: string;
  /** The Match as first given (re-parsed when a later call omits it). */
  match: string;
  /** Canonical SortBy, e.g. `CreationTime:Desc`. */
  sort_by: string;
  /** Only videos with created_at_ms ≤ this are traversed (newest at the start); null = no video then. */
  bound_ms: number | null;
  total: number;
  created_at_ms: number;
  expires_at_ms: number;
}

/** Where a scroll stood after `rows_before` results: the last row's sort value and VideoId. */
export interface SearchScrollCursorTable {
  token: string;
  rows_before: number;
  sort_value: number;
  video_id: string;
}
