// When each submitted item is checked next. The ledger records the first check (at submission)
// and "now" (a callback); the later checks of an unfinished item are kept here, in memory, so that
// polling writes nothing to the ledger. After a restart every submitted item is simply due.
import type { Ledger } from '../ledger/ledger.js';
import type { ItemRow } from '../ledger/ledger.types.js';

export class CheckSchedule {
  private readonly at = new Map<string, number>();
  /** The submitted items as last read; cleared by `refresh` (each round of the run's loop) and by changes. */
  private cached: Array<{ rid: number; dueAt: number }> | undefined;

  constructor(private readonly ledger: Ledger, private readonly spec: string) {}

  /** The item's next check, after a check found it unfinished. */
  later(itemId: string, atMs: number): void {
    this.at.set(itemId, atMs);
    this.cached = undefined;
  }

  /** Back to what the ledger says (a fresh submission, a callback). */
  reset(itemId: string): void {
    this.at.delete(itemId);
    this.cached = undefined;
  }

  /** Reads the submitted items again at the next question (the ledger may have changed). */
  refresh(): void {
    this.cached = undefined;
  }

  private entries(): Array<{ rid: number; dueAt: number }> {
    if (this.cached) return this.cached;
    const rows = this.ledger.submitted(this.spec);
    if (this.at.size > rows.length) {
      const live = new Set(rows.map((r) => r.item_id));
      for (const id of this.at.keys()) if (!live.has(id)) this.at.delete(id);
    }
    this.cached = rows.map((r) => ({ rid: r.rid, dueAt: this.at.get(r.item_id) ?? r.next_at_ms ?? 0 }));
    return this.cached;
  }

  /** How many items are submitted (on the target, not finished). */
  size(): number {
    return this.entries().length;
  }

  /** Up to `limit` submitted items due by `nowMs`, the most overdue first. */
  due(nowMs: number, limit: number): ItemRow[] {
    const due = [...this.entries()].filter((e) => e.dueAt <= nowMs).sort((a, b) => a.dueAt - b.dueAt).slice(0, limit);
    return this.ledger.byRowids(due.map((e) => e.rid));
  }

  /** When the next submitted item is due (undefined: none is submitted). */
  nextAt(): number | undefined {
    let next: number | undefined;
    for (const e of this.entries()) next = next === undefined ? e.dueAt : Math.min(next, e.dueAt);
    return next;
  }
}
