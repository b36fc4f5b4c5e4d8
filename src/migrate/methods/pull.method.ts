// pull: UploadMediaByURL in batches of ≤ 20 URLs; completion from GetURLUploadInfos (≤ 10 JobIds
// a call). Reference §1, §2.
//
// Never twice on the target. Before a batch is sent, its exact request and a SessionId made from
// its items and their attempt numbers are written to the ledger, and every row is `submitting`.
// The SessionId also travels as UserData.Extend.OpenVODMigrate. After a crash, or when an answer
// is lost, the rows are resolved:
//   - a batch younger than `sessionReuseMs` (< the target's 10-minute SessionId window) is sent
//     again byte for byte: OpenVOD answers an identical repeat with the original jobs (a
//     job that was never created is created now). A target that refuses a repeated SessionId
//     instead (ApsaraVideo's behaviour, error code UNCONFIRMED) sends us to the lookup;
//   - an older batch is looked up by URL (GetURLUploadInfos UploadURLs): the job whose UserData
//     carries the batch's SessionId is ours. If the target echoes no UserData, the newest job for
//     the URL created after the batch was recorded (less 5 minutes of clock skew) is taken.
//     Rows not found are submitted again as a new attempt.
import { VodApiError } from '../../sdk/index.js';
import { sourceItemOf, metadataOf } from '../ledger/ledger.js';
import type { BatchRow, ItemRow } from '../ledger/ledger.types.js';
import { applyRewrites } from '../rewrite.js';
import { cateIdFor, checkLater, completeItem, dropStaleVideo, hasFacts, markFailed, markFailedBy, markSubmitted, recordSubmitting, succeed } from '../run/item-outcomes.js';
import type { RunContext } from '../run/run-context.js';
import { attemptId, markerIn, mediaFields, pullRequest, uploadMetadataEntry, userDataFor } from '../submission.js';
import { classifyFailure, errorMessageOf, isFatalForRun, RunStoppedError, sourceErrorCode } from '../target/target-errors.js';
import { numberField } from '../verify.js';
import type { MethodDriver } from './method.js';

export const MAX_URLS_PER_SUBMIT = 20;
export const MAX_QUERY = 10;
const CLOCK_SKEW_MS = 5 * 60_000;

interface UploadJob { JobId: string; SourceURL: string }
interface UrlInfo {
  JobId: string; UploadURL: string; MediaId?: string; Status: string; ErrorCode?: string; ErrorMessage?: string; FileSize?: string;
  UserData?: unknown; CreationTime?: string;
}

interface Prepared { readonly row: ItemRow; readonly entry: Record<string, string> }

const isSessionConflict = (e: unknown): boolean => e instanceof VodApiError && (/SessionId/i.test(e.code) || /SessionId/i.test(e.message));

export function pullMethod(ctx: RunContext): MethodDriver {
  let answers = 0;

  /** Source URL (presigned now when the source needs it), rewritten; undefined when the row failed. */
  async function prepare(row: ItemRow): Promise<Prepared | undefined> {
    await dropStaleVideo(ctx, row);
    const item = sourceItemOf(row);
    let url: string;
    try {
      const raw = ctx.source.sourceUrl ? await ctx.source.sourceUrl(item, { expiresInS: ctx.options.urlExpiresInS, signal: ctx.signal }) : item.id;
      url = applyRewrites(raw, ctx.options.rewrites);
    } catch (e) {
      ctx.signal.throwIfAborted();
      markFailed(ctx, row, sourceErrorCode(e), `no source URL: ${errorMessageOf(e)}`);
      return undefined;
    }
    const meta = metadataOf(row);
    const cateId = await cateIdFor(ctx, meta);
    return { row, entry: uploadMetadataEntry(url, mediaFields(meta, row.file_name, cateId), row.file_name, row.source_size ?? undefined) };
  }

  /** A new attempt for these rows: intent recorded, then sent. */
  async function sendNew(prepared: readonly Prepared[]): Promise<void> {
    if (prepared.length === 0) return;
    const now = ctx.now();
    const sessionId = attemptId(ctx.spec, prepared.map((p) => ({ itemId: p.row.item_id, attempt: p.row.attempts + 1 })));
    const request = pullRequest(prepared.map((p) => p.entry), sessionId, userDataFor(sessionId, ctx.callbackUrl), ctx.options.placement);
    const batch: BatchRow = { session_id: sessionId, source: ctx.spec, method: 'pull', request: JSON.stringify(request), created_at_ms: now };
    const rows = recordSubmitting(ctx, batch, prepared.map((p) => ({ row: p.row, url: p.entry.SourceURL as string })));
    await send(batch, rows);
  }

  /** Sends a recorded batch (again); `how` marks a recovery. */
  async function send(batch: BatchRow, rows: readonly ItemRow[], how?: string): Promise<void> {
    let jobs: UploadJob[];
    try {
      const params = JSON.parse(batch.request) as Record<string, string>;
      jobs = (await ctx.target.call<{ UploadJobs?: UploadJob[] }>('UploadMediaByURL', params, { idempotent: true, signal: ctx.signal })).UploadJobs ?? [];
    } catch (e) {
      ctx.signal.throwIfAborted();
      if (isFatalForRun(e)) throw new RunStoppedError(`the target refused UploadMediaByURL: ${errorMessageOf(e)}`, { cause: e });
      if (isSessionConflict(e)) return lookupThenResubmit(batch, rows);
      if (classifyFailure(e) !== 'final') {
        ctx.emit({ type: 'warning', message: `UploadMediaByURL got no usable answer (${errorMessageOf(e)}); ${rows.length} item(s) will be looked up` });
        return;
      }
      // A definite refusal created nothing: find the row(s) it is about by sending each alone.
      if (rows.length > 1) {
        const entries = entriesOf(batch);
        for (const r of rows) {
          const entry = entries.get(r.submitted_url ?? '');
          if (entry) await sendNew([{ row: r, entry }]);
        }
        return;
      }
      for (const r of rows) markFailedBy(ctx, r, e);
      return;
    }
    ctx.hooks.afterSubmitAnswer?.(++answers);
    const byUrl = new Map(jobs.map((j) => [j.SourceURL, j.JobId]));
    ctx.ledger.tx(() => {
      for (const r of rows) {
        const jobId = byUrl.get(r.submitted_url ?? '');
        if (jobId !== undefined) markSubmitted(ctx, r, { jobId }, how);
      }
    });
  }

  const entriesOf = (batch: BatchRow): Map<string, Record<string, string>> => {
    const params = JSON.parse(batch.request) as { UploadMetadatas: string };
    const list = JSON.parse(params.UploadMetadatas) as Array<Record<string, string>>;
    return new Map(list.map((e) => [e.SourceURL as string, e]));
  };

  /** Finds each row's job by URL; returns the rows the target does not have. */
  async function lookup(batch: BatchRow, rows: readonly ItemRow[]): Promise<ItemRow[]> {
    const missing: ItemRow[] = [];
    for (let i = 0; i < rows.length; i += MAX_QUERY) {
      const group = rows.slice(i, i + MAX_QUERY);
      const urls = [...new Set(group.map((r) => r.submitted_url ?? ''))];
      const r = await ctx.target.call<{ URLUploadInfoList?: UrlInfo[] }>(
        'GetURLUploadInfos', { UploadURLs: urls.map(encodeURIComponent).join(',') }, { signal: ctx.signal },
      );
      const infos = r.URLUploadInfoList ?? [];
      for (const row of group) {
        const mine = infos.filter((x) => x.UploadURL === row.submitted_url);
        const echoed = mine.some((x) => x.UserData !== undefined && x.UserData !== '');
        const hit = echoed
          ? mine.find((x) => markerIn(x.UserData) === batch.session_id)
          : mine
              .filter((x) => x.CreationTime !== undefined && Date.parse(x.CreationTime) >= batch.created_at_ms - CLOCK_SKEW_MS)
              .sort((a, b) => Date.parse(b.CreationTime ?? '') - Date.parse(a.CreationTime ?? ''))[0];
        if (hit) markSubmitted(ctx, row, { jobId: hit.JobId, videoId: hit.MediaId }, 'found by URL');
        else missing.push(row);
      }
    }
    return missing;
  }

  async function lookupThenResubmit(batch: BatchRow, rows: readonly ItemRow[]): Promise<void> {
    const missing = await lookup(batch, rows);
    if (missing.length === 0) return;
    const entries = entriesOf(batch);
    await sendNew(missing.flatMap((row) => {
      const entry = entries.get(row.submitted_url ?? '');
      return entry ? [{ row, entry }] : [];
    }));
  }

  return {
    batchSize: MAX_URLS_PER_SUBMIT,
    parallelSubmits: 4,
    checkBatchSize: MAX_QUERY,

    async submit(rows) {
      const prepared: Prepared[] = [];
      const urls = new Set<string>();
      for (const row of rows) {
        const p = await prepare(row);
        // The same URL twice in one request would be ambiguous: the second waits for a later batch.
        if (p === undefined || urls.has(p.entry.SourceURL as string)) continue;
        urls.add(p.entry.SourceURL as string);
        prepared.push(p);
      }
      await sendNew(prepared);
    },

    async recover(rows) {
      const bySession = new Map<string, ItemRow[]>();
      for (const r of rows) bySession.set(r.session_id ?? '', [...(bySession.get(r.session_id ?? '') ?? []), r]);
      for (const [sessionId, group] of bySession) {
        const batch = sessionId === '' ? undefined : ctx.ledger.getBatch(sessionId);
        if (!batch) {
          // The intent and its batch are written in one transaction: no batch, nothing was sent.
          for (const r of group) ctx.ledger.update(ctx.spec, r.item_id, { state: 'pending', session_id: null, submitted_url: null }, ctx.now());
          continue;
        }
        if (ctx.now() - batch.created_at_ms < ctx.options.sessionReuseMs) await send(batch, group, 'resent with its SessionId');
        else await lookupThenResubmit(batch, group);
      }
    },

    async check(rows) {
      const r = await ctx.target.call<{ URLUploadInfoList?: UrlInfo[]; NonExists?: string[] }>(
        'GetURLUploadInfos', { JobIds: rows.map((x) => x.job_id).join(',') }, { signal: ctx.signal },
      );
      const byJob = new Map((r.URLUploadInfoList ?? []).map((i) => [i.JobId, i]));
      // Unfinished and failed rows are written in one transaction; finished ones are then verified.
      const done: Array<{ row: ItemRow; videoId: string; jobId: string; size: number | undefined }> = [];
      ctx.ledger.tx(() => {
        for (const row of rows) {
          const jobId = row.job_id as string;
          const info = byJob.get(jobId);
          if (!info) {
            markFailed(ctx, row, 'Migrate.LostOnTarget', `the target no longer knows job ${jobId}`);
            continue;
          }
          const status = info.Status.toUpperCase();
          const videoId = info.MediaId || undefined;
          if (status === 'SUCCESS' || status === 'NORMAL') {
            if (videoId === undefined) markFailed(ctx, row, 'Migrate.LostOnTarget', `job ${jobId} succeeded without a MediaId`, { jobId });
            else if (!hasFacts(row)) succeed(ctx, row, videoId, { size: numberField(info.FileSize) }, { jobId });
            else done.push({ row, videoId, jobId, size: numberField(info.FileSize) });
          } else if (status.includes('FAIL')) {
            const code = info.ErrorCode && info.ErrorCode !== '200' ? info.ErrorCode : 'Migrate.TargetFailed';
            markFailed(ctx, row, code, info.ErrorMessage || `the job ended in ${info.Status}`, { jobId, videoId });
          } else {
            checkLater(ctx, row, { videoId, status: info.Status });
          }
        }
      });
      await Promise.all(done.map((d) => completeItem(ctx, d.row, d.videoId, { jobId: d.jobId })));
    },
  };
}

