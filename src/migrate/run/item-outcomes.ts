// The transitions of a ledger row that the methods share, each written to the ledger and
// reported as an event: submitted, succeeded (after verification), failed, back to pending.
import { VodApiError } from '../../sdk/index.js';
import type { BatchRow, ItemPatch, ItemRow } from '../ledger/ledger.types.js';
import { errorCodeOf, errorMessageOf } from '../target/target-errors.js';
import { numberField, verifyMigrated } from '../verify.js';
import type { RunContext } from './run-context.js';

/**
 * A batch about to be sent (pull, register): the request and each item's new attempt are written
 * in one transaction before the target is called, so a run that dies after sending finds them.
 * Returns the rows as written.
 */
export function recordSubmitting(ctx: RunContext, batch: BatchRow, items: ReadonlyArray<{ row: ItemRow; url: string }>): ItemRow[] {
  const now = batch.created_at_ms;
  const patches = items.map(({ row, url }): ItemPatch => ({
    state: 'submitting', method: batch.method, attempts: row.attempts + 1, session_id: batch.session_id, submitted_url: url, job_id: null,
    video_id: null, error_code: null, error_message: null, next_at_ms: null, submitted_at_ms: now,
  }));
  ctx.ledger.tx(() => {
    ctx.ledger.saveBatch(batch);
    items.forEach(({ row }, i) => ctx.ledger.update(ctx.spec, row.item_id, patches[i] as ItemPatch, now));
  });
  return items.map(({ row }, i) => ({ ...row, ...patches[i] }));
}

export function markSubmitted(ctx: RunContext, row: ItemRow, ids: { jobId?: string | undefined; videoId?: string | undefined }, how?: string): void {
  const now = ctx.now();
  ctx.ledger.update(ctx.spec, row.item_id, {
    state: 'submitted', job_id: ids.jobId ?? row.job_id, video_id: ids.videoId ?? row.video_id, next_at_ms: now + ctx.options.pollIntervalMs,
  }, now);
  ctx.schedule.reset(row.item_id);
  if (how !== undefined) ctx.emit({ type: 'recovered', itemId: row.item_id, jobId: ids.jobId, videoId: ids.videoId ?? row.video_id ?? undefined, how });
  else ctx.emit({ type: 'submitted', itemId: row.item_id, attempt: row.attempts, jobId: ids.jobId, videoId: ids.videoId ?? row.video_id ?? undefined });
}

export function markFailed(ctx: RunContext, row: ItemRow, code: string, message: string, ids: { jobId?: string | undefined; videoId?: string | undefined } = {}): void {
  const now = ctx.now();
  const videoId = ids.videoId ?? row.video_id ?? undefined;
  const jobId = ids.jobId ?? row.job_id ?? undefined;
  ctx.ledger.update(ctx.spec, row.item_id, {
    state: 'failed', error_code: code, error_message: message.slice(0, 1000), video_id: videoId ?? null, job_id: jobId ?? null,
    next_at_ms: null, completed_at_ms: now,
  }, now);
  ctx.emit({ type: 'failed', itemId: row.item_id, code, message, videoId, jobId });
}

export const markFailedBy = (ctx: RunContext, row: ItemRow, e: unknown, ids?: { jobId?: string; videoId?: string }): void =>
  markFailed(ctx, row, errorCodeOf(e), errorMessageOf(e), ids);

/** Back to pending (nothing of this attempt is left on the target). */
export function markPending(ctx: RunContext, row: ItemRow, reason: string, notBeforeMs?: number): void {
  const now = ctx.now();
  ctx.ledger.update(ctx.spec, row.item_id, {
    state: 'pending', job_id: null, video_id: null, session_id: null, submitted_url: null, next_at_ms: notBeforeMs ?? null,
  }, now);
  ctx.emit({ type: 'requeued', itemId: row.item_id, reason, fromState: row.state === 'submitted' ? 'submitted' : 'submitting' });
}

/**
 * How long until an unfinished item is checked again: the poll interval while it is young, then
 * a sixteenth of its time in flight, up to 4 poll intervals — a job that has run for minutes is
 * asked about less often, and a finished one is noticed at most ~6% (and 4 intervals) late.
 * Callbacks, when listening, make it due at once anyway; the per-operation rate limit caps the
 * polling of a very large in-flight window whatever the interval.
 */
export function nextCheckDelayMs(pollIntervalMs: number, inFlightMs: number): number {
  return Math.max(pollIntervalMs, Math.min(4 * pollIntervalMs, Math.floor(inFlightMs / 16)));
}

/** Not finished yet: checked again later; the ledger is written only when something changed. */
export function checkLater(ctx: RunContext, row: ItemRow, patch: { jobId?: string | undefined; videoId?: string | undefined; status?: string | undefined } = {}): void {
  const now = ctx.now();
  ctx.schedule.later(row.item_id, now + nextCheckDelayMs(ctx.options.pollIntervalMs, now - (row.submitted_at_ms ?? now)));
  const changed = (patch.jobId !== undefined && patch.jobId !== row.job_id) || (patch.videoId !== undefined && patch.videoId !== row.video_id)
    || (patch.status !== undefined && patch.status !== row.target_status);
  if (changed) ctx.ledger.update(ctx.spec, row.item_id, { job_id: patch.jobId, video_id: patch.videoId, target_status: patch.status }, now);
}

interface Mezzanine { Size?: unknown; FileMD5?: unknown; Duration?: unknown; Status?: unknown }

/** Whether the source (or the push) knows anything the target's copy can be checked against. */
export const hasFacts = (row: ItemRow): boolean =>
  row.source_size !== null || row.source_md5 !== null || row.source_duration_s !== null || row.pushed_size !== null || row.pushed_md5 !== null;

/**
 * The target says the item is done: read what it holds (GetMezzanineInfo), verify it against the
 * source, and record success or the mismatch. (When the source knows nothing to check — a bare
 * URL list — a pull records success from the job's answer instead: `succeed`.)
 */
export async function completeItem(
  ctx: RunContext, row: ItemRow, videoId: string, ids: { jobId?: string | undefined; status?: string | undefined } = {},
): Promise<void> {
  let m: Mezzanine;
  try {
    m = (await ctx.target.call<{ Mezzanine: Mezzanine }>('GetMezzanineInfo', { VideoId: videoId, AuthTimeout: 60 }, { signal: ctx.signal })).Mezzanine ?? {};
  } catch (e) {
    if (e instanceof VodApiError && (e.code === 'InvalidVideo.NotFound' || e.code === 'InvalidFile.NotFound')) {
      markFailed(ctx, row, 'Migrate.LostOnTarget', `the target reported success but has no source file for ${videoId} (${e.code})`, { videoId, jobId: ids.jobId });
      return;
    }
    throw e;
  }
  const target = {
    size: numberField(m.Size),
    md5: typeof m.FileMD5 === 'string' && m.FileMD5 !== '' ? m.FileMD5.toLowerCase() : undefined,
    durationS: numberField(m.Duration),
  };
  const mismatch = verifyMigrated(
    { size: row.source_size, md5: row.source_md5, durationS: row.source_duration_s, pushedSize: row.pushed_size, pushedMd5: row.pushed_md5 },
    target,
    ctx.options.verifyToleranceS,
  );
  const status = ids.status ?? (typeof m.Status === 'string' ? m.Status : undefined);
  if (mismatch) {
    ctx.ledger.update(ctx.spec, row.item_id, {
      target_size: target.size ?? null, target_md5: target.md5 ?? null, target_duration_s: target.durationS ?? null, target_status: status ?? null,
    }, ctx.now());
    markFailed(ctx, row, mismatch.code, mismatch.message, { videoId, jobId: ids.jobId });
    return;
  }
  succeed(ctx, row, videoId, target, { ...ids, status });
}

/** Records success without reading the target back (nothing to verify): synchronous, for batching. */
export function succeed(
  ctx: RunContext, row: ItemRow, videoId: string, target: { size?: number | undefined; md5?: string | undefined; durationS?: number | undefined },
  ids: { jobId?: string | undefined; status?: string | undefined },
): void {
  const now = ctx.now();
  ctx.ledger.update(ctx.spec, row.item_id, {
    state: 'succeeded', video_id: videoId, job_id: ids.jobId ?? row.job_id, target_size: target.size ?? null, target_md5: target.md5 ?? null,
    target_duration_s: target.durationS ?? null, target_status: ids.status ?? null, error_code: null, error_message: null, next_at_ms: null, completed_at_ms: now,
  }, now);
  ctx.emit({ type: 'succeeded', itemId: row.item_id, videoId, jobId: ids.jobId ?? row.job_id ?? undefined, size: target.size, durationS: target.durationS });
}

/** Deletes a video the migrator made and no longer wants; true when it is gone. */
export async function deleteVideo(ctx: RunContext, videoId: string, signal: AbortSignal | undefined = ctx.signal): Promise<boolean> {
  try {
    await ctx.target.call('DeleteVideo', { VideoIds: videoId }, { signal });
    return true;
  } catch (e) {
    if (e instanceof VodApiError && e.code === 'InvalidVideo.NotFound') return true;
    ctx.emit({ type: 'warning', message: `could not delete video ${videoId}: ${errorMessageOf(e)}` });
    return false;
  }
}

/** `--retry-failed`: the failed attempt's video goes before the item is sent again. */
export async function dropStaleVideo(ctx: RunContext, row: ItemRow): Promise<void> {
  if (row.stale_video_id === null) return;
  if (await deleteVideo(ctx, row.stale_video_id)) ctx.ledger.update(ctx.spec, row.item_id, { stale_video_id: null }, ctx.now());
}

/** The CateId to send: the item's, its category by name, else the run's default. */
export async function cateIdFor(ctx: RunContext, meta: { cateId?: number | undefined; cateName?: string | undefined }): Promise<number | undefined> {
  if (meta.cateId !== undefined) return meta.cateId;
  if (meta.cateName) return ctx.categories.resolve(meta.cateName, ctx.signal);
  return ctx.options.defaultCateId;
}
