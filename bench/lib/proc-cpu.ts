// CPU time of another process (all its threads), from Linux's /proc/<pid>/stat: utime + stime.
// Lets the report say how busy each target was and what one request costs it in CPU, which
// holds up better on a shared machine than requests per second alone. Undefined off Linux.
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc times; 100 on every mainstream Linux build. */
const CLOCK_TICKS_PER_S = 100;

export function processCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid …": comm may hold spaces and parentheses, so count fields after the last ')'.
  // Fields 14 and 15 (utime, stime) are the 12th and 13th after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  return ((utime + stime) * 1000) / CLOCK_TICKS_PER_S;
}

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
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cutime = Number(fields[13]);
  const cstime = Number(fields[14]);
  if (!Number.isFinite(cutime) || !Number.isFinite(cstime)) return undefined;
  return ((cutime + cstime) * 1000) / CLOCK_TICKS_PER_S;
}
