// The listing of a run, in the background: the source's items are recorded in the ledger in
// chunks (at least every LIST_FLUSH_MS), so the first ones are being sent while the source is still
// being listed.
import type { Ledger } from '../ledger/ledger.js';
import type { Emit } from '../migrate.events.js';
import type { MigrationSource, SourceItem } from '../source.js';

const LIST_CHUNK = 200;
const LIST_FLUSH_MS = 250;

export interface ListingDeps {
  readonly source: MigrationSource;
  readonly ledger: Ledger;
  readonly emit: Emit;
  readonly now: () => number;
  readonly signal: AbortSignal;
  /** After each chunk is recorded. */
  readonly onChunk: () => void;
}

/** Lists every item into the ledger; rejects with the source's error (what was listed stays recorded). */
export async function listIntoLedger(d: ListingDeps): Promise<void> {
  const spec = d.source.spec;
  let chunk: SourceItem[] = [];
  let flushedAt = d.now();
  const flush = (done: boolean): void => {
    const r = d.ledger.recordListed(spec, chunk, d.now());
    for (const id of r.skipped) d.emit({ type: 'skipped', itemId: id, code: 'Migrate.EmptySource', message: 'the source file is empty' });
    for (const x of r.invalid) d.emit({ type: 'failed', itemId: x.id, code: x.code, message: x.message });
    d.emit({ type: 'listed', added: r.added, addedBytes: r.addedBytes, done });
    chunk = [];
    flushedAt = d.now();
    d.onChunk();
  };
  try {
    for await (const item of d.source.list(d.signal)) {
      chunk.push(item);
      if (chunk.length >= LIST_CHUNK || d.now() - flushedAt >= LIST_FLUSH_MS) flush(false);
      if (d.signal.aborted) break;
    }
  } catch (e) {
    if (chunk.length > 0) flush(false);
    throw e;
  }
  flush(!d.signal.aborted);
}
