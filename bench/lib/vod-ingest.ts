// The OpenVOD side of bench/ingest, through the public API only: UploadMediaByURL in batches of
// 20 (the API's limit), then GetURLUploadInfos (≤ 10 JobIds a call) until every job has ended.
// Polling looks at the oldest unfinished jobs first, a few calls per round, so the bench's own
// requests stay a small load on the server however many jobs there are.
import type { VodRpcClient } from '../../src/sdk/rpc-client.js';

export const SUBMIT_BATCH = 20;
const QUERY_BATCH = 10;

export interface SubmittedJob {
  jobId: string;
  url: string;
  expectedBytes: number;
}

export interface JobEnd {
  jobId: string;
  url: string;
  status: string;
  fileSize: number | undefined;
  errorCode: string | undefined;
  errorMessage: string | undefined;
}

interface UploadJob { JobId: string; SourceURL: string }
interface UrlUploadInfo { JobId: string; Status: string; FileSize?: string; ErrorCode?: string; ErrorMessage?: string }

const TERMINAL = new Set(['SUCCESS', 'DOWNLOAD_FAIL', 'UPLOAD_FAIL']);

export async function submitAll(client: VodRpcClient, files: ReadonlyArray<{ url: string; bytes: number }>, signal: AbortSignal): Promise<SubmittedJob[]> {
  const jobs: SubmittedJob[] = [];
  for (let i = 0; i < files.length; i += SUBMIT_BATCH) {
    signal.throwIfAborted();
    const batch = files.slice(i, i + SUBMIT_BATCH);
    const res = await client.call<{ UploadJobs: UploadJob[] }>('UploadMediaByURL', {
      UploadURLs: batch.map((f) => encodeURIComponent(f.url)).join(','),
    });
    const byUrl = new Map(batch.map((f) => [f.url, f.bytes]));
    for (const j of res.UploadJobs) jobs.push({ jobId: j.JobId, url: j.SourceURL, expectedBytes: byUrl.get(j.SourceURL) ?? -1 });
    if (res.UploadJobs.length !== batch.length) throw new Error(`UploadMediaByURL created ${res.UploadJobs.length} jobs for ${batch.length} URLs`);
  }
  return jobs;
}

export interface WaitOptions {
  pollMs: number;
  /** Oldest unfinished jobs looked at per round. */
  window: number;
  deadlineMs: number;
  signal: AbortSignal;
  /** Called once per job as it ends. */
  onEnd?(end: JobEnd): void;
}

/** Polls until every job has ended; throws when the deadline passes first. */
export async function waitAll(client: VodRpcClient, jobs: readonly SubmittedJob[], opts: WaitOptions): Promise<JobEnd[]> {
  const pending = new Map(jobs.map((j) => [j.jobId, j]));
  const ends: JobEnd[] = [];
  while (pending.size > 0) {
    opts.signal.throwIfAborted();
    if (Date.now() > opts.deadlineMs) {
      throw new Error(`${pending.size} of ${jobs.length} jobs had not ended by the deadline (e.g. ${[...pending.keys()].slice(0, 3).join(', ')})`);
    }
    const look = [...pending.keys()].slice(0, opts.window);
    for (let i = 0; i < look.length; i += QUERY_BATCH) {
      const ids = look.slice(i, i + QUERY_BATCH);
      const res = await client.call<{ URLUploadInfoList: UrlUploadInfo[]; NonExists: string[] }>('GetURLUploadInfos', { JobIds: ids.join(',') });
      if (res.NonExists.length > 0) throw new Error(`GetURLUploadInfos does not know jobs ${res.NonExists.join(', ')}`);
      for (const info of res.URLUploadInfoList) {
        const job = pending.get(info.JobId);
        if (!job || !TERMINAL.has(info.Status)) continue;
        pending.delete(info.JobId);
        const end: JobEnd = {
          jobId: info.JobId, url: job.url, status: info.Status,
          fileSize: info.FileSize === undefined || info.FileSize === '' ? undefined : Number(info.FileSize),
          errorCode: info.Status === 'SUCCESS' ? undefined : info.ErrorCode,
          errorMessage: info.Status === 'SUCCESS' ? undefined : info.ErrorMessage,
        };
        ends.push(end);
        opts.onEnd?.(end);
      }
    }
    if (pending.size > 0) await new Promise((r) => setTimeout(r, opts.pollMs));
  }
  return ends;
}

/** Why each job does not count: not SUCCESS, or not the size the origin serves. */
export function jobProblems(jobs: readonly SubmittedJob[], ends: readonly JobEnd[]): string[] {
  const byId = new Map(ends.map((e) => [e.jobId, e]));
  const problems: string[] = [];
  for (const job of jobs) {
    const end = byId.get(job.jobId);
    if (!end) problems.push(`${job.jobId} ${job.url}: never ended`);
    else if (end.status !== 'SUCCESS') problems.push(`${job.jobId} ${job.url}: ${end.status} ${end.errorCode ?? ''} ${end.errorMessage ?? ''}`.trim());
    else if (end.fileSize !== job.expectedBytes) problems.push(`${job.jobId} ${job.url}: FileSize ${end.fileSize}, the origin serves ${job.expectedBytes}`);
  }
  return problems;
}
