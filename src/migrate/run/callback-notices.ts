// Callbacks make items due for a check (by JobId or VideoId). A callback can outrun the ledger —
// the job finished before its JobId was recorded, a push's video became Normal before the upload
// call returned — so a notice that matches no submitted item is kept a while and tried again.
import type { Ledger } from '../ledger/ledger.js';
import type { CheckSchedule } from './check-schedule.js';

const KEEP_MS = 10 * 60_000;
const MAX_KEPT = 10_000;

export type NoticeIds = { jobId?: string | undefined; videoId?: string | undefined };

export class CallbackNotices {
  private readonly kept = new Map<string, { ids: NoticeIds; atMs: number }>();

  constructor(private readonly ledger: Ledger, private readonly schedule: CheckSchedule, private readonly now: () => number) {}

  private apply(ids: NoticeIds): boolean {
    const matched = this.ledger.makeDue(ids);
    for (const id of matched) this.schedule.reset(id);
    return matched.length > 0;
  }

  /** Makes the item due; true when one matched (else the notice is kept). */
  receive(ids: NoticeIds): boolean {
    if (this.apply(ids)) return true;
    if (this.kept.size < MAX_KEPT) this.kept.set(`${ids.jobId ?? ''}/${ids.videoId ?? ''}`, { ids, atMs: this.now() });
    return false;
  }

  /** Tries the kept notices again; drops those that matched or grew old. */
  retry(): void {
    if (this.kept.size === 0) return;
    for (const [key, n] of this.kept) if (this.apply(n.ids) || this.now() - n.atMs > KEEP_MS) this.kept.delete(key);
  }
}
