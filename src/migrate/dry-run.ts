// `--dry-run`: what a run would do, item by item, from the source's listing and the ledger (read
// only, if it exists) — nothing is written and nothing is sent.
import type { Ledger } from './ledger/ledger.js';
import type { MigrationSource } from './source.js';

/**
 * new       not in the ledger: would be submitted
 * pending   in the ledger, not sent yet: would be submitted
 * retry     failed before, and --retry-failed is given: would be submitted again
 * unresolved an earlier run sent it without learning the answer: would be looked up first
 */
export type PlanAction = 'new' | 'pending' | 'retry' | 'unresolved';

export interface PlanEntry {
  readonly id: string;
  readonly fileName: string;
  readonly size: number | undefined;
  readonly action: PlanAction;
}

export interface PlanTotals {
  items: number;
  bytes: number;
  unknownSize: number;
  alreadyDone: number;
  inFlight: number;
  failedNotRetried: number;
  skipped: number;
}

export async function* planRun(
  source: MigrationSource, ledger: Ledger | undefined, opts: { retryFailed: boolean; signal?: AbortSignal }, totals: PlanTotals,
): AsyncGenerator<PlanEntry> {
  for await (const item of source.list(opts.signal)) {
    const row = ledger?.get(source.spec, item.id);
    const state = row?.state;
    let action: PlanAction | undefined;
    if (state === undefined) action = item.size === 0 ? undefined : 'new';
    else if (state === 'pending') action = 'pending';
    else if (state === 'submitting') action = 'unresolved';
    else if (state === 'failed' && opts.retryFailed) action = 'retry';
    if (state === undefined && item.size === 0) totals.skipped++;
    if (state === 'succeeded') totals.alreadyDone++;
    if (state === 'skipped') totals.skipped++;
    if (state === 'submitted') totals.inFlight++;
    if (state === 'failed' && !opts.retryFailed) totals.failedNotRetried++;
    if (action === undefined) continue;
    const size = item.size ?? row?.source_size ?? undefined;
    totals.items++;
    if (size === undefined) totals.unknownSize++;
    else totals.bytes += size;
    yield { id: item.id, fileName: item.fileName, size, action };
  }
}

export const emptyTotals = (): PlanTotals => ({ items: 0, bytes: 0, unknownSize: 0, alreadyDone: 0, inFlight: 0, failedNotRetried: 0, skipped: 0 });
