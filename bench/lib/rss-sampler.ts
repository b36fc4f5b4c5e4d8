// Resident memory of a process and of its child processes, sampled from Linux's /proc every
// `intervalMs`. The process's own peak is also read from the kernel at the end (VmHWM, the
// high-water mark of its RSS over its whole life), which no sampling interval can miss. Children
// are found through /proc/<pid>/task/<tid>/children (each thread's direct children: node spawns
// from the main thread, but every thread is read). Undefined figures off Linux.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

export interface RssPeaks {
  /** Samples taken. */
  samples: number;
  /** Highest VmRSS seen in a sample, bytes. */
  peakRssBytes: number | undefined;
  /** VmHWM when the sampler was stopped: the process's peak RSS since it started, bytes. */
  highWaterMarkBytes: number | undefined;
  /** Highest sum of the RSS of the direct children alive at one sample, bytes. */
  peakChildrenRssBytes: number;
  /** Per child command name (ffprobe, ffmpeg, esbuild …): processes seen and the highest RSS of one, bytes. */
  children: Record<string, { processes: number; peakRssBytes: number }>;
}

export interface RssSampler {
  /** Stops sampling (idempotent) and returns the peaks. */
  stop(): RssPeaks;
}

/** A `VmRSS:`-style line of /proc/<pid>/status, in bytes. */
export function statusField(status: string, field: string): number | undefined {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
  return m ? Number(m[1]) * 1024 : undefined;
}

const readOrUndefined = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/** The direct children of `pid` alive now (every thread's), from /proc/<pid>/task/<tid>/children. */
export function childPids(pid: number): number[] {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const tid of tasks) {
    const text = readOrUndefined(`/proc/${pid}/task/${tid}/children`);
    if (text) for (const p of text.trim().split(/\s+/)) if (p !== '') pids.push(Number(p));
  }
  return pids;
}

/** The process's VmRSS now, bytes (undefined if it is gone or off Linux). */
export function currentRss(pid: number): number | undefined {
  const status = readOrUndefined(`/proc/${pid}/status`);
  return status === undefined ? undefined : statusField(status, 'VmRSS');
}

/**
 * Resets the process's VmHWM to its current RSS (`echo 5 > /proc/<pid>/clear_refs`, Linux ≥ 4.0;
 * needs to own the process or be root), so that VmHWM then measures one phase. False if refused.
 */
export function resetHighWaterMark(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

export function sampleRss(pid: number, intervalMs = 100): RssSampler {
  const peaks: RssPeaks = { samples: 0, peakRssBytes: undefined, highWaterMarkBytes: undefined, peakChildrenRssBytes: 0, children: {} };
  const seen = new Set<number>();
  const sample = (): void => {
    const status = readOrUndefined(`/proc/${pid}/status`);
    if (status === undefined) return;
    peaks.samples++;
    const rss = statusField(status, 'VmRSS');
    if (rss !== undefined) peaks.peakRssBytes = Math.max(peaks.peakRssBytes ?? 0, rss);
    let sum = 0;
    for (const child of childPids(pid)) {
      const childStatus = readOrUndefined(`/proc/${child}/status`);
      const childRss = childStatus === undefined ? undefined : statusField(childStatus, 'VmRSS');
      if (childStatus === undefined || childRss === undefined) continue;
      sum += childRss;
      const command = /^Name:\s+(.*)$/m.exec(childStatus)?.[1] ?? '?';
      const entry = (peaks.children[command] ??= { processes: 0, peakRssBytes: 0 });
      if (!seen.has(child)) entry.processes++;
      seen.add(child);
      entry.peakRssBytes = Math.max(entry.peakRssBytes, childRss);
    }
    peaks.peakChildrenRssBytes = Math.max(peaks.peakChildrenRssBytes, sum);
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  let stopped = false;
  return {
    stop() {
      if (!stopped) {
        stopped = true;
        clearInterval(timer);
        sample();
        const status = readOrUndefined(`/proc/${pid}/status`);
        peaks.highWaterMarkBytes = status === undefined ? undefined : statusField(status, 'VmHWM');
      }
      return { ...peaks, children: { ...peaks.children } };
    },
  };
}
