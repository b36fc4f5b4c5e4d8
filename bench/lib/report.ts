// Plain-text lines for the bench report; pure formatting, no I/O.
import type { LatencySummary } from './latency.js';
import type { ProfileSummary, Share } from './cpu-profile.js';

export interface WindowFigures {
  ok: number;
  errors: number;
  elapsedMs: number;
  rps: number;
  latency: LatencySummary;
  /** CPU the target process used during the window; undefined where /proc is not readable. */
  serverCpuMs: number | undefined;
  /** CPU this (load-generating) process used during the window. */
  clientCpuMs: number;
}

export interface TargetTotals extends WindowFigures {
  name: string;
}

export type Verdict = 'PASS' | 'BELOW GOAL' | 'INVALID';

const num = (n: number | undefined, digits = 0): string => (n !== undefined && Number.isFinite(n) ? n.toFixed(digits) : '-');
const pad = (s: string, width: number): string => s.padStart(width);
const percentOf = (cpuMs: number | undefined, elapsedMs: number): number | undefined =>
  cpuMs === undefined || elapsedMs <= 0 ? undefined : (100 * cpuMs) / elapsedMs;

/** Server CPU per answered request, in µs. */
export const cpuUsPerRequest = (f: Pick<WindowFigures, 'serverCpuMs' | 'ok'>): number | undefined =>
  f.serverCpuMs === undefined || f.ok === 0 ? undefined : (1000 * f.serverCpuMs) / f.ok;

export function windowLine(label: string, target: string, f: WindowFigures): string {
  return `${label.padEnd(8)} ${target.padEnd(8)} ${pad(num(f.elapsedMs / 1000, 2), 5)} s ${pad(String(f.ok), 7)} ok ${pad(String(f.errors), 3)} err ` +
    `${pad(num(f.rps), 6)} req/s  p50 ${pad(num(f.latency.p50Ms, 2), 6)} ms  p99 ${pad(num(f.latency.p99Ms, 2), 6)} ms  ` +
    `cpu server ${pad(num(percentOf(f.serverCpuMs, f.elapsedMs)), 3)}% client ${pad(num(percentOf(f.clientCpuMs, f.elapsedMs)), 3)}%`;
}

export function totalsTable(rows: readonly TargetTotals[]): string[] {
  const header = `${'target'.padEnd(8)} ${pad('req/s', 7)} ${pad('p50 ms', 7)} ${pad('p99 ms', 7)} ${pad('max ms', 7)} ${pad('requests', 8)} ${pad('errors', 6)} ` +
    `${pad('server µs/req', 13)} ${pad('server cpu', 10)} ${pad('client cpu', 10)}`;
  return [
    header,
    ...rows.map((r) =>
      `${r.name.padEnd(8)} ${pad(num(r.rps), 7)} ${pad(num(r.latency.p50Ms, 2), 7)} ${pad(num(r.latency.p99Ms, 2), 7)} ${pad(num(r.latency.maxMs, 1), 7)} ` +
      `${pad(String(r.ok), 8)} ${pad(String(r.errors), 6)} ${pad(num(cpuUsPerRequest(r)), 13)} ` +
      `${pad(`${num(percentOf(r.serverCpuMs, r.elapsedMs))}%`, 10)} ${pad(`${num(percentOf(r.clientCpuMs, r.elapsedMs))}%`, 10)}`),
  ];
}

export function verdictOf(ratio: number, goal: number, errors: number): Verdict {
  if (errors > 0 || !Number.isFinite(ratio)) return 'INVALID';
  return ratio >= goal ? 'PASS' : 'BELOW GOAL';
}

export function profileLines(summary: ProfileSummary, top: number): string[] {
  const shareLine = (s: Share): string => `  ${pad(num(s.percent, 1), 5)}%  ${pad(num(s.ms), 7)} ms  ${s.name}`;
  return [
    `server CPU profile: ${num(summary.busyMs)} ms sampled busy, ${num(summary.idleMs)} ms idle` +
      (summary.windowed ? ' (OpenVOD measurement windows only)' : ' (whole profile: no sample fell inside the windows)'),
    '(samples are wall time on the main thread: a syscall that lets the client run, such as the',
    ' response writev, also collects the time the server spent descheduled on a busy machine)',
    'self time by area:',
    ...summary.areas.slice(0, top).map(shareLine),
    'top self time by function:',
    ...summary.topSelf.slice(0, top).map(shareLine),
    'inclusive time of src/ functions:',
    ...summary.ownInclusive.slice(0, top).map(shareLine),
  ];
}
