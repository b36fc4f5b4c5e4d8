// Plain-text lines for bench/ingest's report; pure formatting, no I/O.
import type { PhaseSummary } from './ingest-phases.js';
import type { RssPeaks } from './rss-sampler.js';
import type { Verdict } from './report.js';

export const MIB = 1024 * 1024;

export interface ScenarioResult {
  name: string;
  files: number;
  bytes: number;
  parallel: number;
  curl: { elapsedMs: number; syncMs: number; cpuMs: number | undefined; originCpuMs: number | undefined };
  openvod: {
    /** First submit → the last job's completed_at_ms. */
    elapsedMs: number;
    /** First submit → the bench saw the last job ended (polling adds up to one interval). */
    observedMs: number;
    submitMs: number;
    serverCpuMs: number | undefined;
    /** ffprobe + ffmpeg (the server's reaped children). */
    mediaToolsCpuMs: number | undefined;
    /** The loopback origin's CPU while serving this run. */
    originCpuMs: number | undefined;
    phases: PhaseSummary;
  };
  /** Throughput goal (OpenVOD / curl), when this scenario has one. */
  goal: number | undefined;
  ratio: number;
  verdict: Verdict | 'info';
  problems: string[];
}

export interface RssResult {
  fileBytes: number;
  peaks: RssPeaks;
  /** VmHWM was reset just before the submit (else it covers the server's whole life). */
  hwmReset: boolean;
  /** The server's RSS just before the submit, bytes. */
  idleRssBytes: number;
  goalBytes: number;
  verdict: Verdict;
}

const num = (n: number | undefined, digits = 0): string => (n !== undefined && Number.isFinite(n) ? n.toFixed(digits) : '-');
const mibps = (bytes: number, ms: number): number => (ms > 0 ? bytes / MIB / (ms / 1000) : Number.NaN);
const sec = (ms: number | undefined): string => (ms === undefined ? '-' : `${num(ms / 1000, 1)} s`);

export function throughputTable(rows: readonly ScenarioResult[]): string[] {
  const header = `${'scenario'.padEnd(8)} ${'files'.padStart(5)} ${'total MiB'.padStart(9)} ${'par'.padStart(3)} ${'curl MiB/s'.padStart(10)} ` +
    `${'OpenVOD MiB/s'.padStart(13)} ${'ratio'.padStart(6)} ${'goal'.padStart(6)}  verdict     ${'curl+sync MiB/s'.padStart(15)} ${'ratio'.padStart(6)}`;
  return [
    header,
    ...rows.map((r) => {
      const curl = mibps(r.bytes, r.curl.elapsedMs);
      const curlSync = mibps(r.bytes, r.curl.elapsedMs + r.curl.syncMs);
      const ov = mibps(r.bytes, r.openvod.elapsedMs);
      return `${r.name.padEnd(8)} ${String(r.files).padStart(5)} ${num(r.bytes / MIB).padStart(9)} ${String(r.parallel).padStart(3)} ${num(curl, 1).padStart(10)} ` +
        `${num(ov, 1).padStart(13)} ${num(r.ratio, 3).padStart(6)} ${(r.goal === undefined ? '-' : `≥ ${r.goal}`).padStart(6)}  ${r.verdict.padEnd(10)}  ` +
        `${num(curlSync, 1).padStart(15)} ${num(ov / curlSync, 3).padStart(6)}`;
    }),
  ];
}

/** Where the time went, per scenario: times, CPU, and the per-job phases from the server's log. */
export function detailLines(r: ScenarioResult): string[] {
  const p = r.openvod.phases;
  const lines = [
    `${r.name}: curl ${sec(r.curl.elapsedMs)} (+ ${sec(r.curl.syncMs)} for sync to disk), CPU: curl ${sec(r.curl.cpuMs)}, origin ${sec(r.curl.originCpuMs)}`,
    `${' '.repeat(r.name.length)}  OpenVOD ${sec(r.openvod.elapsedMs)} to the last SUCCESS (seen by polling at ${sec(r.openvod.observedMs)}; submitting took ${sec(r.openvod.submitMs)}), ` +
      `CPU: server ${sec(r.openvod.serverCpuMs)}, its ffprobe+ffmpeg ${sec(r.openvod.mediaToolsCpuMs)}, origin ${sec(r.openvod.originCpuMs)}`,
  ];
  if (p.traced > 0) {
    lines.push(
      `${' '.repeat(r.name.length)}  per job (mean of ${p.traced}/${p.jobs} traced): queued ${num(p.meanMs.queued)} ms, download ${num(p.meanMs.download)} ms ` +
        `(${num(p.perJobDownloadBytesPerS / MIB, 1)} MiB/s each), after the download ${num(p.meanMs.after)} ms ` +
        `(probe, cover, fsync+rename, DB: ${num(100 * p.afterShare)}% of run time); downloads in flight ${sec(p.downloadBusyMs)} of ${sec(r.openvod.elapsedMs)}`,
    );
  } else {
    lines.push(`${' '.repeat(r.name.length)}  (no per-job phases: the server's info log lines were not seen)`);
  }
  for (const problem of r.problems.slice(0, 10)) lines.push(`  ! ${problem}`);
  if (r.problems.length > 10) lines.push(`  ! … and ${r.problems.length - 10} more`);
  return lines;
}

/** VmHWM when it was reset for the phase (exact), else the highest sample. */
export function rssPeakBytes(peaks: RssPeaks, hwmReset: boolean): number {
  return hwmReset ? Math.max(peaks.highWaterMarkBytes ?? 0, peaks.peakRssBytes ?? 0) : (peaks.peakRssBytes ?? Number.NaN);
}

export function rssLine(r: RssResult): string {
  const p = r.peaks;
  const peak = rssPeakBytes(p, r.hwmReset);
  const children = Object.entries(p.children).map(([command, c]) => `${command} ×${c.processes} ≤ ${num(c.peakRssBytes / MIB)} MiB each`).join(', ');
  return `server peak RSS while ingesting one ${num(r.fileBytes / MIB)} MiB file: ${num(peak / MIB)} MiB ` +
    `(VmHWM ${num((p.highWaterMarkBytes ?? Number.NaN) / MIB)} MiB${r.hwmReset ? ' since just before the submit' : ' over the server\'s life'}, ` +
    `highest of ${p.samples} samples every 100 ms ${num((p.peakRssBytes ?? Number.NaN) / MIB)} MiB; idle before the submit ${num(r.idleRssBytes / MIB)} MiB); ` +
    `goal < ${num(r.goalBytes / MIB)} MiB: ${r.verdict}.\n` +
    `child processes (not counted above): ${children || 'none seen'}; at most ${num(p.peakChildrenRssBytes / MIB)} MiB together`;
}

export function verdictFor(ratio: number, goal: number | undefined, problems: number): Verdict | 'info' {
  if (problems > 0 || !Number.isFinite(ratio)) return 'INVALID';
  if (goal === undefined) return 'info';
  return ratio >= goal ? 'PASS' : 'BELOW GOAL';
}
