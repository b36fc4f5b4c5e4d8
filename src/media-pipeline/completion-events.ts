// The events of a video that became Normal (events reference §1.1, §1.4, §1.5): FileUploadComplete,
// VideoAnalysisComplete and — when OpenVOD grabbed the cover — SnapshotComplete. URLs are plain
// (no auth_key): receivers sign URLs themselves. `Extend` is added by recordEvent from UserData.
import type { NewEvent } from '../events/event.repository.js';
import { type MediaInfo, toAnalysisSummary } from '../media/media-info.js';

export type EventDraft = Omit<NewEvent, 'appId' | 'mediaId'>;

export interface CompletedVideo {
  readonly videoId: string;
  readonly sizeBytes: number;
  /** Plain URL of the stored source. */
  readonly fileUrl: string;
  readonly info: MediaInfo | undefined;
  /** The cover OpenVOD grabbed (its blob key and plain URL), if it did. */
  readonly cover?: { key: string; url: string; jobId: string } | undefined;
}

export function videoReadyEvents(v: CompletedVideo): EventDraft[] {
  const events: EventDraft[] = [
    { type: 'FileUploadComplete', fields: { VideoId: v.videoId, Status: 'success', Size: v.sizeBytes, FileUrl: v.fileUrl } },
    { type: 'VideoAnalysisComplete', fields: { VideoId: v.videoId, Status: 'success', ...(v.info ? toAnalysisSummary(v.info) : {}) } },
  ];
  if (v.cover !== undefined) {
    const template = (s: string): string => s.replace(/-00001\.jpg$/, '-{SnapshotCount}.jpg');
    events.push({
      type: 'SnapshotComplete',
      fields: {
        VideoId: v.videoId, Status: 'success', CoverUrl: v.cover.url,
        SnapshotInfos: [{
          Status: 'success', SnapshotType: 'CoverSnapshot', SnapshotCount: 1, JobId: v.cover.jobId,
          SnapshotFormat: template(v.cover.key), SnapshotRegular: template(v.cover.url),
        }],
      },
    });
  }
  return events;
}
