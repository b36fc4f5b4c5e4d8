// UploadMediaByURL, GetURLUploadInfos, CancelUrlUploadJobs (reference §1, §2, events-and-more §3).
import { createHash } from 'node:crypto';
import type { ActionTable } from '../api/rpc/action.js';
import type { Params } from '../api/rpc/params.js';
import { ApiError, missing } from '../domain/errors.js';
import { newMediaId } from '../domain/ids.js';
import { DEFAULT_APP_ID } from '../domain/storage.js';
import { checkUserData } from '../domain/user-data.js';
import { recordEvent } from '../events/event.repository.js';
import { cancelJob, enqueueJob } from '../jobs/job.repository.js';
import { categoryExists, insertVideo } from '../videos/video.repository.js';
import { videoRowForUpload } from '../videos/video.factory.js';
import { buildSubmissions, checkTemplateGroup, checkWorkflow, parseUploadUrls } from './url-upload.request.js';
import {
  findSession, findUrlJobs, findUrlJobsBySource, insertUrlJob, saveSession, transitionUrlJob, type UrlJobRow,
} from './url-upload.repository.js';
import { urlJobView } from './url-upload.view.js';

const SESSION_WINDOW_MS = 10 * 60 * 1000;
const MAX_QUERY = 10;
const MAX_RECORDS = 100;

export const CANCELLED_CODE = 'UploadJobCancelled';

export const urlUploadActions: ActionTable = {
  async UploadMediaByURL(ctx, p) {
    const urls = parseUploadUrls(p.required('UploadURLs'));
    checkWorkflow(p.get('WorkflowId'));
    const submissions = buildSubmissions(urls, p.get('UploadMetadatas'), checkTemplateGroup(p.get('TemplateGroupId')));
    const storage = ctx.deps.storages.forNewMedia(p.get('StorageLocation')).location;
    const userData = checkUserData(p.get('UserData') ?? '');
    const appId = p.get('AppId') ?? DEFAULT_APP_ID;
    const sessionId = p.get('SessionId');
    if (sessionId !== undefined && !/^[A-Za-z0-9_-]{1,50}$/.test(sessionId)) {
      throw new ApiError('InvalidParameter.SessionId', 'SessionId must be at most 50 letters, digits, "_" or "-".');
    }
    const db = ctx.deps.store.db;
    for (const cateId of new Set(submissions.map((s) => s.metadata.cateId))) {
      if (cateId !== undefined && !(await categoryExists(db, cateId))) throw new ApiError('InvalidCateId.NotFound', `The category ${cateId} does not exist.`);
    }

    const requestHash = hashRequest(p);
    const response = await db.transaction().execute(async (trx) => {
      if (sessionId !== undefined) {
        // SessionId: a repeat within 10 minutes creates nothing. The same request gets the same
        // answer again (so a client that lost the first answer can safely retry); a different
        // request under the same SessionId is refused.
        const previous = await findSession(trx, sessionId);
        if (previous && ctx.nowMs - previous.created_at_ms < SESSION_WINDOW_MS) {
          if (previous.request_hash === requestHash) return JSON.parse(previous.response) as Record<string, unknown>;
          throw new ApiError('InvalidParameter.SessionId', `SessionId "${sessionId}" was used for a different request within the last 10 minutes.`);
        }
      }
      const jobs: Array<{ JobId: string; SourceURL: string }> = [];
      for (const s of submissions) {
        const jobId = newMediaId();
        const video = videoRowForUpload({
          videoId: newMediaId(), appId, nowMs: ctx.nowMs, storageLocation: storage, userData,
          title: s.metadata.title, description: s.metadata.description, tags: s.metadata.tags, cateId: s.metadata.cateId,
          coverUrl: s.metadata.coverUrl, templateGroupId: s.metadata.templateGroupId, fileName: s.sourceUrl,
        });
        await insertVideo(trx, video);
        await insertUrlJob(trx, {
          job_id: jobId, app_id: appId, video_id: video.video_id, source_url: s.sourceUrl, status: 'PENDING',
          file_extension: s.metadata.fileExtension, declared_size: s.metadata.fileSize ?? null, file_size: null, bytes_fetched: 0,
          md5: null, final_url: null, resume_etag: null, resume_last_modified: null, cover_url: s.metadata.coverUrl,
          error_code: null, error_message: null, user_data: userData, session_id: sessionId ?? null, storage_location: storage,
          created_at_ms: ctx.nowMs, updated_at_ms: ctx.nowMs, completed_at_ms: null,
        });
        // The queue entry shares the job's id and commits with it: no job is ever lost.
        await enqueueJob(trx, { kind: 'ingest.url', payload: { jobId }, jobId, nowMs: ctx.nowMs });
        jobs.push({ JobId: jobId, SourceURL: s.sourceUrl });
      }
      const body = { UploadJobs: jobs };
      if (sessionId !== undefined) {
        await saveSession(trx, { session_id: sessionId, request_hash: requestHash, response: JSON.stringify(body), created_at_ms: ctx.nowMs });
      }
      return body;
    });
    ctx.deps.notifyWorkers();
    return response;
  },

  async GetURLUploadInfos(ctx, p) {
    const db = ctx.deps.store.db;
    const jobIds = p.list('JobIds', { max: MAX_QUERY });
    // "If both are given only JobIds is used."
    if (jobIds !== undefined) {
      const rows = await findUrlJobs(db, jobIds);
      const byId = new Map(rows.map((r) => [r.job_id, r]));
      const found = jobIds.map((id) => byId.get(id)).filter((r): r is UrlJobRow => r !== undefined);
      return { URLUploadInfoList: found.map(urlJobView), NonExists: jobIds.filter((id) => !byId.has(id)) };
    }
    const urls = queryUrls(p, 'UploadURLs');
    if (urls === undefined) throw missing('JobIds');
    const rows = await findUrlJobsBySource(db, urls, MAX_RECORDS);
    return { URLUploadInfoList: rows.map(urlJobView), NonExists: urls.filter((u) => !rows.some((r) => r.source_url === u)) };
  },

  async CancelUrlUploadJobs(ctx, p) {
    const db = ctx.deps.store.db;
    const jobIds = p.list('JobIds', { max: MAX_QUERY });
    const urls = jobIds === undefined ? queryUrls(p, 'UploadUrls') : undefined;
    if (jobIds === undefined && urls === undefined) throw missing('JobIds');
    const rows = jobIds !== undefined ? await findUrlJobs(db, jobIds) : await findUrlJobsBySource(db, urls ?? [], MAX_RECORDS);
    const canceled: string[] = [];
    const notCancelable: string[] = [];
    for (const row of rows) {
      // Only jobs still waiting can be cancelled; the transition races fairly with a worker
      // starting the job (whoever moves it out of PENDING first wins).
      const done = await db.transaction().execute(async (trx) => {
        const moved = await transitionUrlJob(trx, row.job_id, ['PENDING'], {
          status: 'DOWNLOAD_FAIL', error_code: CANCELLED_CODE, error_message: 'The job was cancelled before it started.',
          updated_at_ms: ctx.nowMs, completed_at_ms: ctx.nowMs,
        });
        if (!moved) return false;
        await trx.updateTable('videos').set({ status: 'UploadFail', modified_at_ms: ctx.nowMs }).where('video_id', '=', row.video_id).execute();
        await cancelJob(trx, row.job_id, { nowMs: ctx.nowMs, reason: 'cancelled by CancelUrlUploadJobs' });
        await recordEvent(trx, {
          appId: row.app_id, mediaId: row.video_id, type: 'UploadByURLComplete',
          fields: { Status: 'fail', VideoId: row.video_id, JobId: row.job_id, SourceURL: row.source_url, ErrorCode: CANCELLED_CODE, ErrorMessage: 'The job was cancelled before it started.' },
        }, ctx.nowMs);
        return true;
      });
      (done ? canceled : notCancelable).push(row.job_id);
    }
    const nonExists = jobIds !== undefined
      ? jobIds.filter((id) => !rows.some((r) => r.job_id === id))
      : (urls ?? []).filter((u) => !rows.some((r) => r.source_url === u));
    return { CanceledJobs: canceled, NonExists: nonExists, NotCancelableJobs: notCancelable };
  },
};

/** ≤10 URL-encoded, comma-separated URLs, decoded. */
function queryUrls(p: Params, name: string): string[] | undefined {
  const list = p.list(name, { max: MAX_QUERY });
  return list?.map((u) => {
    try {
      return decodeURIComponent(u);
    } catch {
      return u;
    }
  });
}

/** What identifies a request for SessionId purposes: every business parameter. */
function hashRequest(p: Params): string {
  const fields = ['UploadURLs', 'UploadMetadatas', 'TemplateGroupId', 'WorkflowId', 'StorageLocation', 'UserData', 'AppId'];
  return createHash('sha256').update(JSON.stringify(fields.map((f) => p.get(f) ?? ''))).digest('hex');
}
