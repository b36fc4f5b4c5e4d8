// Plain-text lines for bench/ingest's report; pure formatting, no I/O.
import type { PhaseSummary } from './ingest-phases.js';
import type { ThreadTimes } from './ingest-sched.js';
import type { RssPeaks } from './rss-sampler.js';
import type { Verdict } from './report.js';

export const MIB = 1024 * 1024;

/** One curl run and one OpenVOD run of a scenario. */
export interface RoundFigures {
  curl: {
    elapsedMs: number;
    /** `sync -f` of curl's files afterwards. */
    syncMs: number;
    cpuMs: number | undefined;
    originCpuMs: number | undefined;
    /** The machine's 1-minute load average when the run started. */
    loadAvg1: number | undefined;
  };
  /** curl, then md5sum of each file (--md5-baseline): the same work as OpenVOD's download. */
  curlMd5?: RoundFigures['curl'] | undefined;
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
    /** The server's threads: CPU they got, time they waited for one (Linux). */
    threads: ThreadTimes | undefined;
    loadAvg1: number | undefined;
  };
}

/** A scenario: its median round's figures, and every round's ratio. */
export interface ScenarioResult extends RoundFigures {
  name: string;
  files: number;
  bytes: number;
  parallel: number;
  /** Throughput goal (OpenVOD / curl+sync), when this scenario has one. */
  goal: number | undefined;
  /** OpenVOD MiB/s ÷ curl+sync MiB/s (the same durability on both sides), median round. */
  ratio: number;
  /** OpenVOD MiB/s ÷ curl MiB/s (curl's bytes still in the page cache), same round. */
  ratioNoSync: number;
  /** `ratio` of every round, in run order. */
  roundRatios: number[];
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
  const md5 = rows.some((r) => r.curlMd5 !== undefined);
  const header = `${'scenario'.padEnd(8)} ${'files'.padStart(5)} ${'total MiB'.padStart(9)} ${'par'.padStart(3)} ${'curl MiB/s'.padStart(10)} ` +
    `${'curl+sync MiB/s'.padStart(15)} ${'OpenVOD MiB/s'.padStart(13)} ${'ratio'.padStart(6)} ${'goal'.padStart(6)}  verdict     ${'vs curl'.padStart(7)}` +
    (md5 ? ` ${'vs curl+md5+sync'.padStart(16)}` : '');
  return [
    header,
    ...rows.map((r) => {
      const curl = mibps(r.bytes, r.curl.elapsedMs);
      const curlSync = mibps(r.bytes, r.curl.elapsedMs + r.curl.syncMs);
      const ov = mibps(r.bytes, r.openvod.elapsedMs);
      const sameWork = r.curlMd5 === undefined ? Number.NaN : ov / mibps(r.bytes, r.curlMd5.elapsedMs + r.curlMd5.syncMs);
      return `${r.name.padEnd(8)} ${String(r.files).padStart(5)} ${num(r.bytes / MIB).padStart(9)} ${String(r.parallel).padStart(3)} ${num(curl, 1).padStart(10)} ` +
        `${num(curlSync, 1).padStart(15)} ${num(ov, 1).padStart(13)} ${num(r.ratio, 3).padStart(6)} ${(r.goal === undefined ? '-' : `≥ ${r.goal}`).padStart(6)}  ` +
        `${r.verdict.padEnd(10)}  ${num(r.ratioNoSync, 3).padStart(7)}` + (md5 ? ` ${num(sameWork, 3).padStart(16)}` : '');
    }),
  ];
}

/** The server's threads and the machine's load: what a busy machine took from the numbers. */
function contentionLine(r: ScenarioResult, indent: string): string | undefined {
  const t = r.openvod.threads;
  const load = `load average ${num(r.openvod.loadAvg1, 1)} when OpenVOD started, ${num(r.curl.loadAvg1, 1)} when curl did`;
  if (t === undefined) return `${indent}  ${load}`;
  return `${indent}  server threads: main ${sec(t.main.cpuMs)} on a CPU + ${sec(t.main.waitMs)} runnable but waiting for one; ` +
    `${t.others.threads} others ${sec(t.others.cpuMs)} (+ ${sec(t.others.waitMs)} waiting); ${load}`;
}

/**
 * The rate the CPU alone allows OpenVOD in a scenario: its run used the server's, its media
 * tools' and the origin's CPU, all on this machine's `cores`, so it cannot go faster than
 * `cores` × the bytes per that much CPU, however well the work overlaps. Undefined when a CPU
 * reading is missing (off Linux).
 */
export function cpuCeiling(r: ScenarioResult, cores: number): { cpuMs: number; mibPerS: number; ratio: number } | undefined {
  const { serverCpuMs, mediaToolsCpuMs, originCpuMs } = r.openvod;
  if (serverCpuMs === undefined || mediaToolsCpuMs === undefined || originCpuMs === undefined) return undefined;
  const cpuMs = serverCpuMs + mediaToolsCpuMs + originCpuMs;
  if (cpuMs <= 0) return undefined;
  const mibPerS = (cores * r.bytes) / MIB / (cpuMs / 1000);
  const curlSyncMibPerS = r.bytes / MIB / ((r.curl.elapsedMs + r.curl.syncMs) / 1000);
  return { cpuMs, mibPerS, ratio: mibPerS / curlSyncMibPerS };
}

/** Where the time went, per scenario: times, CPU, and the per-job phases from the server's log. */
export function detailLines(r: ScenarioResult, cores: number): string[] {
  const p = r.openvod.phases;
  const lines = [
    `${r.name}: curl ${sec(r.curl.elapsedMs)} (+ ${sec(r.curl.syncMs)} for sync to disk), CPU: curl ${sec(r.curl.cpuMs)}, origin ${sec(r.curl.originCpuMs)}`,
    ...(r.curlMd5 === undefined ? [] : [
      `${' '.repeat(r.name.length)}  curl+md5sum ${sec(r.curlMd5.elapsedMs)} (+ ${sec(r.curlMd5.syncMs)} for sync to disk), CPU: curl+md5sum ${sec(r.curlMd5.cpuMs)}, origin ${sec(r.curlMd5.originCpuMs)}`,
    ]),
    `${' '.repeat(r.name.length)}  OpenVOD ${sec(r.openvod.elapsedMs)} to the last SUCCESS (seen by polling at ${sec(r.openvod.observedMs)}; submitting took ${sec(r.openvod.submitMs)}), ` +
      `CPU: server ${sec(r.openvod.serverCpuMs)}, its ffprobe+ffmpeg and their runner ${sec(r.openvod.mediaToolsCpuMs)}, origin ${sec(r.openvod.originCpuMs)}`,
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
  const contention = contentionLine(r, ' '.repeat(r.name.length));
  if (contention !== undefined) lines.push(contention);
  const ceiling = cpuCeiling(r, cores);
  if (ceiling !== undefined) {
    lines.push(
      `${' '.repeat(r.name.length)}  cpu ceiling: server + tools + origin used ${sec(ceiling.cpuMs)} of CPU; on ${cores} cores that allows at most ` +
        `${num(ceiling.mibPerS, 1)} MiB/s, a ratio of ${num(ceiling.ratio, 2)} to curl+sync${r.goal === undefined ? '' : ` (goal ${r.goal})`}`,
    );
  }
  if (r.roundRatios.length > 1) {
    lines.push(`${' '.repeat(r.name.length)}  rounds (ratio to curl+sync, in run order): ${r.roundRatios.map((x) => num(x, 3)).join(', ')}; the figures above are the median round's`);
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

/** The round whose ratio (to curl+sync) is the median; the lower of the two middle ones for an even count. */
export function medianRound<T extends { ratio: number }>(rounds: readonly T[]): T {
  const sorted = [...rounds].sort((a, b) => a.ratio - b.ratio);
  return sorted[Math.floor((sorted.length - 1) / 2)] as T;
}

export function verdictFor(ratio: number, goal: number | undefined, problems: number): Verdict | 'info' {
  if (problems > 0 || !Number.isFinite(ratio)) return 'INVALID';
  if (goal === undefined) return 'info';
  return ratio >= goal ? 'PASS' : 'BELOW GOAL';
}
