// How much CPU a process's threads got, and how long they waited for one, from Linux's per-thread
// scheduler statistics (/proc/<pid>/task/<tid>/schedstat: ns on a CPU, ns runnable on a run
// queue). On a machine shared with other work, "waiting for a CPU" is the time the numbers lost
// to contention. undefined where /proc does not have it.
import { readdirSync, readFileSync } from 'node:fs';

export interface ThreadTimes {
  /** The main thread (tid = pid). */
  main: { cpuMs: number; waitMs: number };
  /** Every other thread together (worker threads, libuv's pool, V8's GC and compiler threads). */
  others: { cpuMs: number; waitMs: number; threads: number };
}

type Snapshot = Map<string, { cpuMs: number; waitMs: number }>;

export function threadSnapshot(pid: number): Snapshot | undefined {
  const snap: Snapshot = new Map();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  for (const tid of tids) {
    try {
      const [run, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ');
      snap.set(tid, { cpuMs: Number(run) / 1e6, waitMs: Number(wait) / 1e6 });
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return snap.size > 0 ? snap : undefined;
}

/** What each thread got between two snapshots (threads gone by `after` are not counted). */
export function threadTimes(pid: number, before: Snapshot | undefined, after: Snapshot | undefined): ThreadTimes | undefined {
  if (before === undefined || after === undefined) return undefined;
  const times: ThreadTimes = { main: { cpuMs: 0, waitMs: 0 }, others: { cpuMs: 0, waitMs: 0, threads: 0 } };
  for (const [tid, t] of after) {
    const t0 = before.get(tid) ?? { cpuMs: 0, waitMs: 0 };
    const cpuMs = t.cpuMs - t0.cpuMs;
    const waitMs = t.waitMs - t0.waitMs;
    if (tid === String(pid)) {
      times.main = { cpuMs, waitMs };
    } else if (cpuMs > 0) {
      times.others.cpuMs += cpuMs;
      times.others.waitMs += waitMs;
      times.others.threads++;
    }
  }
  return times;
}
