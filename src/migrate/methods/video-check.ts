// Completion of pushed and registered items: the video's status (GetVideoInfos, ≤ 20 at a time).
// Normal = done (then verified); a failed status fails the item; anything else is checked again.
import { VodApiError } from '../../sdk/index.js';
import type { ItemRow } from '../ledger/ledger.types.js';
import { checkLater, completeItem, markFailed } from '../run/item-outcomes.js';
import type { RunContext } from '../run/run-context.js';

export const VIDEO_IDS_PER_CALL = 20;
export const FAILED_STATUSES = new Set(['UploadFail', 'TranscodeFail', 'ProduceFail', 'Blocked']);

interface VideoView { VideoId: string; Status: string }

export async function checkVideos(ctx: RunContext, rows: readonly ItemRow[]): Promise<void> {
  const withVideo = rows.filter((r) => r.video_id !== null);
  for (const r of rows) if (r.video_id === null) markFailed(ctx, r, 'Migrate.LostOnTarget', 'the item has no VideoId to check');
  if (withVideo.length === 0) return;
  const r = await ctx.target.call<{ VideoList?: VideoView[]; NonExistVideoIds?: string[] }>(
    'GetVideoInfos', { VideoIds: withVideo.map((x) => x.video_id).join(',') }, { signal: ctx.signal },
  );
  const byId = new Map((r.VideoList ?? []).map((v) => [v.VideoId, v]));
  const done: Array<{ row: ItemRow; videoId: string; status: string }> = [];
  ctx.ledger.tx(() => {
    for (const row of withVideo) {
      const videoId = row.video_id as string;
      const v = byId.get(videoId);
      if (!v) markFailed(ctx, row, 'Migrate.LostOnTarget', `the target no longer has video ${videoId}`);
      else if (v.Status === 'Normal') done.push({ row, videoId, status: v.Status });
      else if (FAILED_STATUSES.has(v.Status)) markFailed(ctx, row, 'Migrate.TargetFailed', `the video ended in status ${v.Status}`, { videoId });
      else checkLater(ctx, row, { status: v.Status });
    }
  });
  await Promise.all(done.map((d) => completeItem(ctx, d.row, d.videoId, { status: d.status })));
}

/** One video's status, undefined when the target does not know it. */
export async function videoStatus(ctx: RunContext, videoId: string): Promise<string | undefined> {
  try {
    return (await ctx.target.call<{ Video: VideoView }>('GetVideoInfo', { VideoId: videoId }, { signal: ctx.signal })).Video.Status;
  } catch (e) {
    if (e instanceof VodApiError && e.code === 'InvalidVideo.NotFound') return undefined;
    throw e;
  }
}
