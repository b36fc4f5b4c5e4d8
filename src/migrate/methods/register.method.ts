// register: RegisterMedia in batches of ≤ 10 files of one storage (reference §4): objects already
// in one of the target's storages become media without copying. Completion: the video reaching
// Normal (GetVideoInfos), then verification. Without --template-group-id the batch asks for
// VOD_NO_TRANSCODE, so registered media become playable (Normal) instead of staying UploadSucc.
//
// Never twice on the target: RegisterMedia is idempotent by FileURL — registering a file again
// answers its existing MediaId with NewRegister=false — so a batch left `submitting` is simply
// sent again (its exact request is in the ledger).
import { metadataOf, sourceItemOf } from '../ledger/ledger.js';
import type { BatchRow, ItemRow } from '../ledger/ledger.types.js';
import { cateIdFor, dropStaleVideo, markFailed, markFailedBy, markSubmitted, recordSubmitting } from '../run/item-outcomes.js';
import type { RunContext } from '../run/run-context.js';
import { attemptId, mediaFields, userDataFor } from '../submission.js';
import { classifyFailure, errorMessageOf, isFatalForRun, RunStoppedError, sourceErrorCode } from '../target/target-errors.js';
import type { MethodDriver } from './method.js';
import { checkVideos, VIDEO_IDS_PER_CALL } from './video-check.js';

export const MAX_FILES_PER_REGISTER = 10;
export const NO_TRANSCODE = 'VOD_NO_TRANSCODE';

interface Prepared { readonly row: ItemRow; readonly entry: Record<string, string | number> }
interface Registered { FileURL: string; MediaId: string; NewRegister?: boolean }

export function registerMethod(ctx: RunContext): MethodDriver {
  let answers = 0;

  async function prepare(row: ItemRow): Promise<Prepared | undefined> {
    await dropStaleVideo(ctx, row);
    if (!ctx.source.registerUrl) {
      markFailed(ctx, row, 'Migrate.UnsupportedMethod', `${ctx.source.kind} sources cannot be registered`);
      return undefined;
    }
    let fileUrl: string;
    try {
      fileUrl = ctx.source.registerUrl(sourceItemOf(row), { storageLocation: ctx.options.placement.storageLocation });
    } catch (e) {
      markFailed(ctx, row, sourceErrorCode(e), `no FileURL: ${errorMessageOf(e)}`);
      return undefined;
    }
    const meta = metadataOf(row);
    const f = mediaFields(meta, row.file_name, await cateIdFor(ctx, meta));
    const entry: Record<string, string | number> = { FileURL: fileUrl, Title: f.Title };
    if (f.Description !== undefined) entry.Description = f.Description;
    if (f.Tags !== undefined) entry.Tags = f.Tags;
    if (f.CoverURL !== undefined) entry.CoverURL = f.CoverURL;
    if (f.CateId !== undefined) entry.CateId = f.CateId;
    return { row, entry };
  }

  async function sendNew(prepared: readonly Prepared[]): Promise<void> {
    if (prepared.length === 0) return;
    const now = ctx.now();
    const batchId = attemptId(ctx.spec, prepared.map((p) => ({ itemId: p.row.item_id, attempt: p.row.attempts + 1 })));
    const request: Record<string, string> = {
      RegisterMetadatas: JSON.stringify(prepared.map((p) => p.entry)),
      TemplateGroupId: ctx.options.placement.templateGroupId || NO_TRANSCODE,
      UserData: userDataFor(batchId, ctx.callbackUrl),
    };
    const batch: BatchRow = { session_id: batchId, source: ctx.spec, method: 'register', request: JSON.stringify(request), created_at_ms: now };
    const rows = recordSubmitting(ctx, batch, prepared.map((p) => ({ row: p.row, url: String(p.entry.FileURL) })));
    await send(batch, rows);
  }

  async function send(batch: BatchRow, rows: readonly ItemRow[], how?: string): Promise<void> {
    let answer: { RegisteredMediaList?: Registered[]; FailedFileURLs?: string[] };
    try {
      answer = await ctx.target.call('RegisterMedia', JSON.parse(batch.request) as Record<string, string>, { idempotent: true, signal: ctx.signal });
    } catch (e) {
      ctx.signal.throwIfAborted();
      if (isFatalForRun(e)) throw new RunStoppedError(`the target refused RegisterMedia: ${errorMessageOf(e)}`, { cause: e });
      if (classifyFailure(e) !== 'final') {
        ctx.emit({ type: 'warning', message: `RegisterMedia got no usable answer (${errorMessageOf(e)}); ${rows.length} item(s) will be sent again` });
        return;
      }
      if (rows.length > 1) {
        const entries = new Map((JSON.parse((JSON.parse(batch.request) as { RegisterMetadatas: string }).RegisterMetadatas) as Array<Record<string, string | number>>)
          .map((en) => [String(en.FileURL), en]));
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
    const registered = new Map((answer.RegisteredMediaList ?? []).map((m) => [m.FileURL, m.MediaId]));
    const failed = new Set(answer.FailedFileURLs ?? []);
    ctx.ledger.tx(() => {
      for (const r of rows) {
        const url = r.submitted_url ?? '';
        const mediaId = registered.get(url);
        if (mediaId !== undefined) markSubmitted(ctx, r, { videoId: mediaId }, how);
        else if (failed.has(url)) markFailed(ctx, r, 'Migrate.RegisterFailed', `the target could not register ${url}`);
      }
    });
  }

  return {
    batchSize: MAX_FILES_PER_REGISTER,
    parallelSubmits: 2,
    checkBatchSize: VIDEO_IDS_PER_CALL,

    async submit(rows) {
      const prepared: Prepared[] = [];
      for (const row of rows) {
        const p = await prepare(row);
        if (p) prepared.push(p);
      }
      await sendNew(prepared);
    },

    async recover(rows) {
      const bySession = new Map<string, ItemRow[]>();
      for (const r of rows) bySession.set(r.session_id ?? '', [...(bySession.get(r.session_id ?? '') ?? []), r]);
      for (const [id, group] of bySession) {
        const batch = id === '' ? undefined : ctx.ledger.getBatch(id);
        if (!batch) {
          for (const r of group) ctx.ledger.update(ctx.spec, r.item_id, { state: 'pending', session_id: null, submitted_url: null }, ctx.now());
          continue;
        }
        await send(batch, group, 'sent again (RegisterMedia is idempotent by FileURL)');
      }
    },

    check: (rows) => checkVideos(ctx, rows),
  };
}
