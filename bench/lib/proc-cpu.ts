// CPU time of another process (all its threads), from Linux's /proc/<pid>/stat: utime + stime.
// Lets the report say how busy each target was and what one request costs it in CPU, which
// holds up better on a shared machine than requests per second alone. Undefined off Linux.
import { readFileSync } from 'node:fs';
import { childPids } from './rss-sampler.js';

/** Clock ticks per second of /proc times; 100 on every mainstream Linux build. */
const CLOCK_TICKS_PER_S = 100;

/**
 * The sum of two tick fields of /proc/<pid>/stat, in ms. "pid (comm) state ppid …": comm may hold
 * spaces and parentheses, so fields are counted after the last ')' (field n is index n − 3).
 */
function statTicksMs(pid: number | 'self', first: number, second: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const a = Number(fields[first - 3]);
  const b = Number(fields[second - 3]);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return undefined;
  return ((a + b) * 1000) / CLOCK_TICKS_PER_S;
}

/** CPU time (fields 14 and 15: utime, stime) of a process, in ms. */
export function processCpuMs(pid: number | undefined): number | undefined {
  return pid === undefined ? undefined : statTicksMs(pid, 14, 15);
}

/** CPU used between two readings, in ms; undefined when either is missing (off Linux). */
export const cpuSpentMs = (after: number | undefined, before: number | undefined): number | undefined =>
  after === undefined || before === undefined ? undefined : after - before;

/** This process's CPU time (user + system), in ms. */
export function ownCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/**
 * CPU time of the children a process has waited for (all of them, recursively): fields 16 and 17
 * of /proc/<pid>/stat (cutime, cstime). For a server that runs ffprobe/ffmpeg, this is their CPU;
 * for this process, the CPU of the curl processes it spawned. Undefined off Linux.
 */
export function reapedChildrenCpuMs(pid: number | 'self'): number | undefined {
  return statTicksMs(pid, 16, 17);
}

/**
 * CPU time of everything a process has started, in ms, down the whole tree: its reaped children
 * (cutime + cstime), plus each child still alive, with its own time and, in turn, everything it
 * has started. OpenVOD runs ffprobe/ffmpeg through a long-lived tool runner
 * (src/media/tool-runner.ts), a child that starts them, or starts the tool's zygote, which forks
 * them and reaps them while it lives: all of their time counts here. Undefined off Linux.
 */
export function descendantsCpuMs(pid: number | 'self'): number | undefined {
  const self = pid === 'self' ? process.pid : pid;
  const reaped = reapedChildrenCpuMs(self);
  if (reaped === undefined) return undefined;
  let total = reaped;
  for (const child of childPids(self)) total += (processCpuMs(child) ?? 0) + (descendantsCpuMs(child) ?? 0);
  return total;
}
