// Puts the machine in the same state before every timed run of the benches: nothing dirty in the
// page cache (the previous run's writes are flushed, so their writeback cannot land in the next
// run), optionally the clean cache dropped (root only: /proc/sys/vm/drop_caches), free memory
// touched (below), and the origin files read back into the cache when the runs should find them
// warm.
//
// Why touch free memory: on the virtual machines these benches run on, a page the guest has not
// used for a while is given back to the host (free page reporting), and the next write into it —
// a buffered file write filling the page cache — waits while the host backs it again. The same
// 1 GiB buffered write took 0.3 s of system time on recently used pages and up to 2.0 s on
// returned ones, depending only on what ran before (a drop_caches that freed the previous run's
// pages made the next run cheap). curl's rate moved from 390 to 1,100 MiB/s between two runs of
// bench/ingest that way. A child process that fills a few GiB and exits leaves that many recently
// used pages at the head of the free lists, so every run starts alike: on cheap pages, the best
// case for buffered writers such as curl and its sink.
import { execFile } from 'node:child_process';
import { createReadStream, readFileSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type CacheState = 'dropped' | 'synced (drop_caches refused)';

/** Free memory touched by `settlePageCache`, at most: more than a run of any bench writes and reads back. */
export const TOUCH_MAX_BYTES = 6 * 2 ** 30;

/** `sync`, then frees the clean page cache when allowed, then touches free memory (see above). */
export async function settlePageCache(): Promise<CacheState> {
  await run('sync', [], { timeout: 300_000 });
  let state: CacheState;
  try {
    writeFileSync('/proc/sys/vm/drop_caches', '1');
    state = 'dropped';
  } catch {
    state = 'synced (drop_caches refused)';
  }
  await touchFreeMemory(Math.min(TOUCH_MAX_BYTES, availableBytes() / 2));
  return state;
}

function availableBytes(): number {
  const m = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Writes `bytes` of memory in a child process, which then exits and frees it. */
export async function touchFreeMemory(bytes: number): Promise<void> {
  const chunk = 256 * 2 ** 20;
  const chunks = Math.floor(bytes / chunk);
  if (chunks < 1) return;
  const script = `const held = []; for (let i = 0; i < ${chunks}; i++) held.push(Buffer.allocUnsafe(${chunk}).fill(i + 1));`;
  await run(process.execPath, ['-e', script], { timeout: 120_000 });
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
