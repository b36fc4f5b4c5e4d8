import { isoSeconds } from '../domain/time.js';
import type { UrlJobRow } from './url-upload.repository.js';

/**
 * One URLUploadInfoList item (reference §2). FileSize is a string of bytes, as upstream;
 * `BytesFetched` (also a string) is OpenVOD's addition so that long jobs show progress. On
 * success ErrorCode/ErrorMessage read "200"/"Success", as ApsaraVideo's samples show.
 */
export function urlJobView(row: UrlJobRow) {
  const view: Record<string, unknown> = {
    JobId: row.job_id,
    UploadURL: row.source_url,
    MediaId: row.video_id,
    Status: row.status,
    CreationTime: isoSeconds(row.created_at_ms),
    FileSize: String(row.file_size ?? row.declared_size ?? ''),
    BytesFetched: String(row.bytes_fetched),
    UserData: row.user_data,
  };
  if (row.completed_at_ms !== null) view.CompleteTime = isoSeconds(row.completed_at_ms);
  if (row.status === 'SUCCESS') {
    view.ErrorCode = '200';
    view.ErrorMessage = 'Success';
  } else if (row.error_code !== null) {
    view.ErrorCode = row.error_code;
    view.ErrorMessage = row.error_message ?? '';
  }
  return view;
}
