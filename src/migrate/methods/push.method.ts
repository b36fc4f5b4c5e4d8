// push: the source's bytes streamed into the SDK's upload (CreateUploadVideo, then the OSS-style
// upload), no temporary file; at most `pushConcurrencyPerHost` uploads from one source host.
// Success = the upload finished and the video reached Normal (GetVideoInfos), then verified —
// against the source's size/MD5 and against the bytes the SDK counted and hashed.
//
// Never twice on the target. The intent (`submitting` + the attempt's marker, which the upload
// carries in UserData.Extend) is recorded before CreateUploadVideo; the VideoId is recorded the
// moment the SDK reports it (its first progress call, synchronous after CreateUploadVideo's answer).
// A restart resolves a `submitting` row:
//   - VideoId known → GetVideoInfo: gone → pending; still `Uploading` (the stream died with the
//     process; a stream cannot be resumed) → the video is DELETED and the item uploaded afresh as
//     a new video; UploadSucc/Normal/… → the upload had finished: submitted, checked as usual;
//   - no VideoId (the process died inside the SDK's CreateUploadVideo) → the videos created since
//     the attempt began are searched for its marker (GetVideoList returns UserData) and treated
//     as above; none → pending.
// We delete and recreate rather than continue into the same video: the SDK's stream upload has no
// resume, and a fresh video leaves nothing half-written behind.
// A failed upload's video is deleted too, and the item tried again (up to `pushAttempts`).
import { createHostLimiter, hostKey } from '../../ingest/host-limiter.js';
import type { Uploader } from '../../sdk/index.js';
import { MigrateUsageError } from '../migrate.errors.js';
import { backoffDelayMs, DEFAULT_BACKOFF } from '../../jobs/backoff.js';
import { metadataOf, sourceItemOf } from '../ledger/ledger.js';
import type { ItemRow } from '../ledger/ledger.types.js';
import { cateIdFor, deleteVideo, dropStaleVideo, markFailed, markFailedBy, markPending, markSubmitted } from '../run/item-outcomes.js';
import type { RunContext } from '../run/run-context.js';
import { attemptId, mediaFields, userDataFor } from '../submission.js';
import { classifyFailure, errorMessageOf, isFatalForRun, RunStoppedError, sourceErrorCode } from '../target/target-errors.js';
import type { MethodDriver } from './method.js';
import { findMarkedVideos } from './orphan-sweep.js';
import { FAILED_STATUSES, checkVideos, videoStatus, VIDEO_IDS_PER_CALL } from './video-check.js';

const SWEEP_MARGIN_MS = 10 * 60_000;

class SourceOpenError extends Error {
  override readonly name = 'SourceOpenError';
  constructor(readonly code: string, message: string, options: { cause: unknown }) {
    super(message, options);
  }
}

/** The host a row's bytes come from: the item id's host when it is a URL, else the source itself. */
export function pushHostOf(spec: string, itemId: string): string {
  try {
    return hostKey(new URL(itemId));
  } catch {
    return spec;
  }
}

export function pushMethod(ctx: RunContext): MethodDriver {
  const given = ctx.uploader;
  if (!given) throw new MigrateUsageError('push needs the target\'s keys for the uploader');
  const uploader: Uploader = given;
  const hosts = createHostLimiter({ perHost: ctx.options.pushConcurrencyPerHost, global: ctx.options.maxInFlight });
  let created = 0;

  async function pushOne(row: ItemRow): Promise<void> {
    await dropStaleVideo(ctx, row);
    if (!ctx.source.open) return markFailed(ctx, row, 'Migrate.UnsupportedMethod', `${ctx.source.kind} sources cannot be pushed`);
    const meta = metadataOf(row);
    const fields = mediaFields(meta, row.file_name, await cateIdFor(ctx, meta));
    const attempt = row.attempts + 1;
    const marker = attemptId(ctx.spec, [{ itemId: row.item_id, attempt }]);
    const started = ctx.now();
    ctx.ledger.update(ctx.spec, row.item_id, {
      state: 'submitting', method: 'push', attempts: attempt, session_id: marker, submitted_at_ms: started, job_id: null, video_id: null,
      error_code: null, error_message: null, pushed_size: null, pushed_md5: null, next_at_ms: null,
    }, started);
    const current: ItemRow = { ...row, state: 'submitting', attempts: attempt, session_id: marker, submitted_at_ms: started, video_id: null };

    let videoId: string | undefined;
    let acked = 0;
    let body: { destroy(): void } | undefined;
    try {
      await ctx.target.throttle('CreateUploadVideo', ctx.signal);
      const opened = await ctx.source.open(sourceItemOf(row), ctx.signal).catch((e: unknown) => {
        throw new SourceOpenError(sourceErrorCode(e), `cannot read the source: ${errorMessageOf(e)}`, { cause: e });
      });
      body = opened.stream;
      const result = await uploader.uploadStream(opened.stream, {
        fileName: row.file_name, size: opened.size ?? row.source_size ?? undefined, title: fields.Title, description: fields.Description,
        tags: fields.Tags, coverUrl: fields.CoverURL, cateId: fields.CateId, templateGroupId: ctx.options.placement.templateGroupId,
        storageLocation: ctx.options.placement.storageLocation, appId: ctx.options.placement.appId,
        userData: userDataFor(marker, ctx.callbackUrl), signal: ctx.signal,
        onProgress: (p) => {
          if (videoId === undefined) {
            const n = ++created;
            ctx.hooks.beforeVideoRecorded?.(n);
            videoId = p.videoId;
            ctx.ledger.update(ctx.spec, row.item_id, { video_id: videoId }, ctx.now());
            ctx.hooks.afterVideoRecorded?.(n);
          }
          if (p.bytesSent > acked) {
            ctx.emit({ type: 'bytes', itemId: row.item_id, bytes: p.bytesSent - acked });
            acked = p.bytesSent;
          }
        },
      });
      const now = ctx.now();
      ctx.ledger.update(ctx.spec, row.item_id, {
        state: 'submitted', video_id: result.videoId, pushed_size: result.size, pushed_md5: result.md5 ?? null, next_at_ms: now,
      }, now);
      ctx.emit({ type: 'submitted', itemId: row.item_id, attempt, videoId: result.videoId });
    } catch (e) {
      body?.destroy();
      if (ctx.signal.aborted) {
        // Stopping: a half-sent video goes now if it can; otherwise the next run finds it.
        if (videoId !== undefined && (await deleteVideo(ctx, videoId, AbortSignal.timeout(5_000)))) markPending(ctx, current, 'stopped mid-upload');
        return;
      }
      if (isFatalForRun(e)) throw new RunStoppedError(`the target refused the upload: ${errorMessageOf(e)}`, { cause: e });
      const kind = e instanceof SourceOpenError ? 'transient' : classifyFailure(e);
      if (videoId !== undefined) await deleteVideo(ctx, videoId);
      else if (kind === 'transient') await sweep([{ ...current }]);
      const withVideo = { ...current, video_id: videoId ?? null };
      if (kind !== 'final' && attempt < ctx.options.pushAttempts) {
        markPending(ctx, withVideo, `upload failed (${errorMessageOf(e)}); trying again`, ctx.now() + backoffDelayMs({ ...DEFAULT_BACKOFF, capMs: 60_000 }, { attempt }));
      } else {
        markFailedBy(ctx, { ...withVideo, video_id: null }, e);
      }
    }
  }

  /** Deletes (or adopts) the videos of rows whose VideoId never reached the ledger. */
  async function sweep(rows: readonly ItemRow[]): Promise<Map<string, string>> {
    const byMarker = new Map(rows.filter((r) => r.session_id !== null).map((r) => [r.session_id as string, r]));
    const since = Math.min(...rows.map((r) => r.submitted_at_ms ?? ctx.now())) - SWEEP_MARGIN_MS;
    const found = await findMarkedVideos(ctx, new Set(byMarker.keys()), since);
    const adopted = new Map<string, string>();
    for (const [marker, v] of found) {
      const row = byMarker.get(marker);
      if (!row) continue;
      if (v.status === 'Uploading') await deleteVideo(ctx, v.videoId);
      else adopted.set(row.item_id, v.videoId);
    }
    return adopted;
  }

  async function recoverOne(row: ItemRow, videoId: string | undefined): Promise<void> {
    if (videoId === undefined) return markPending(ctx, row, 'the earlier upload never created a video');
    const status = await videoStatus(ctx, videoId);
    if (status === undefined) return markPending(ctx, row, `the earlier upload's video ${videoId} is gone`);
    if (status === 'Uploading') {
      if (await deleteVideo(ctx, videoId)) markPending(ctx, row, `the earlier upload into ${videoId} was cut off; deleted, uploading again`);
      return;
    }
    if (FAILED_STATUSES.has(status)) return markFailed(ctx, row, 'Migrate.TargetFailed', `the video ended in status ${status}`, { videoId });
    markSubmitted(ctx, row, { videoId }, `upload had finished (${status})`);
  }

  return {
    batchSize: 1,
    parallelSubmits: ctx.options.maxInFlight,
    checkBatchSize: VIDEO_IDS_PER_CALL,

    async submit(rows) {
      await Promise.all(rows.map(async (row) => {
        const release = await hosts.acquire(pushHostOf(ctx.spec, row.item_id), ctx.signal);
        try {
          await pushOne(row);
        } finally {
          release();
        }
      }));
    },

    async recover(rows) {
      const unknown = rows.filter((r) => r.video_id === null);
      const adopted = unknown.length > 0 ? await sweep(unknown) : new Map<string, string>();
      for (const row of rows) await recoverOne(row, row.video_id ?? adopted.get(row.item_id));
    },

    check: (rows) => checkVideos(ctx, rows),
  };
}

