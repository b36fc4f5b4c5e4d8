// Finds videos a push created but never recorded (the migrator died between CreateUploadVideo's
// answer and the ledger write, or the answer was lost): every push sends its attempt's marker in
// UserData.Extend, and GetVideoList returns UserData, so the videos created since the attempt
// began are listed (oldest first, ≤ 100 a page, GetVideoList's 5,000-match cap) and matched.
import { isoSeconds } from '../../domain/time.js';
import type { RunContext } from '../run/run-context.js';
import { markerIn } from '../submission.js';

export interface FoundVideo { readonly videoId: string; readonly status: string }

const PAGE_SIZE = 100;
const MAX_PAGES = 50;

export async function findMarkedVideos(ctx: RunContext, markers: ReadonlySet<string>, sinceMs: number): Promise<Map<string, FoundVideo>> {
  const found = new Map<string, FoundVideo>();
  if (markers.size === 0) return found;
  for (let page = 1; page <= MAX_PAGES && found.size < markers.size; page++) {
    const r = await ctx.target.call<{ Total?: number; VideoList?: { Video?: Array<{ VideoId: string; Status: string; UserData?: string }> } }>(
      'GetVideoList', { StartTime: isoSeconds(Math.max(0, sinceMs)), SortBy: 'CreationTime:Asc', PageNo: page, PageSize: PAGE_SIZE }, { signal: ctx.signal },
    );
    const videos = r.VideoList?.Video ?? [];
    for (const v of videos) {
      const m = markerIn(v.UserData);
      if (m !== undefined && markers.has(m)) found.set(m, { videoId: v.VideoId, status: v.Status });
    }
    if (videos.length < PAGE_SIZE) break;
  }
  return found;
}
