// Puts the machine in the same state before every timed run of bench/ingest: nothing dirty in the
// page cache (the previous run's writes are flushed, so their writeback cannot land in the next
// run), optionally the clean cache dropped (root only: /proc/sys/vm/drop_caches), and the origin
// files read back into the cache when the runs should find them warm.
import { execFile } from 'node:child_process';
import { createReadStream, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type CacheState = 'dropped' | 'synced (drop_caches refused)';

/** `sync`, then frees the clean page cache when allowed. */
export async function settlePageCache(): Promise<CacheState> {
  await run('sync', [], { timeout: 300_000 });
  try {
    writeFileSync('/proc/sys/vm/drop_caches', '1');
    return 'dropped';
  } catch {
    return 'synced (drop_caches refused)';
  }
}

/** Times `sync -f` on the filesystem holding `path` (flushes what is dirty there), ms. */
export async function timeSync(path: string): Promise<number> {
  const t0 = performance.now();
  await run('sync', ['-f', path], { timeout: 300_000 });
  return performance.now() - t0;
}

/** Reads files end to end (into the page cache), one after another. */
export async function readThrough(paths: readonly string[], signal: AbortSignal): Promise<void> {
  for (const path of paths) {
    for await (const _ of createReadStream(path, { highWaterMark: 4 * 1024 * 1024, signal })) {
      // reading is the point
    }
  }
}
