// Where an OpenVOD URL pull spends its time, read from what the server already records: its
// info-level JSON log lines (pino: `time` in ms) — "source downloaded" (component ingest) and
// "job succeeded" (with the run's durationMs) — and each URL job's created/completed times from
// the metadata store. Per job:
//   queued      submitted (created_at_ms)            → the worker started the job
//   download    job started                          → "source downloaded"
//   after       "source downloaded"                  → job SUCCESS (completed_at_ms): ffprobe, cover
//                                                       frame, the fsync + rename into the blob store,
//                                                       and the DB transactions between the steps
// Pure except `JobLogCollector`, which only gathers lines.

export interface JobTimes {
  createdAtMs: number;
  completedAtMs: number;
  startedAtMs?: number | undefined;
  downloadedAtMs?: number | undefined;
}

interface LogLine { time?: unknown; msg?: unknown; jobId?: unknown; durationMs?: unknown; path?: unknown; kind?: unknown; reason?: unknown; ms?: unknown }

/**
 * Gathers the two log events per job from the server's stdout lines, and how the check of each
 * media tool's library order ended (src/media/library-order.ts); ignores everything else.
 */
export class JobLogCollector {
  readonly downloadedAtMs = new Map<string, number>();
  readonly startedAtMs = new Map<string, number>();
  /** Tool path → `ordered in N ms` or `skipped: why`. */
  readonly libraryOrders = new Map<string, string>();

  line(text: string): void {
    if (!text.startsWith('{')) return;
    let parsed: LogLine;
    try {
      parsed = JSON.parse(text) as LogLine;
    } catch {
      return;
    }
    if (parsed.msg === 'media tool libraries' && typeof parsed.path === 'string') {
      this.libraryOrders.set(parsed.path, parsed.kind === 'ordered' ? `ordered in ${String(parsed.ms)} ms` : `${String(parsed.kind)}: ${String(parsed.reason)}`);
    }
    if (typeof parsed.jobId !== 'string' || typeof parsed.time !== 'number') return;
    if (parsed.msg === 'source downloaded') this.downloadedAtMs.set(parsed.jobId, parsed.time);
    else if (parsed.msg === 'job succeeded' && typeof parsed.durationMs === 'number') this.startedAtMs.set(parsed.jobId, parsed.time - parsed.durationMs);
  }
}

export interface PhaseSummary {
  jobs: number;
  /** Jobs with both log events (the breakdown covers only them). */
  traced: number;
  meanMs: { queued: number; download: number; after: number; total: number };
  /** Of the summed per-job run time (download + after), the share after the download. */
  afterShare: number;
  /** The mean download rate of one job while downloading, bytes/s. */
  perJobDownloadBytesPerS: number;
  /** Wall time during which at least one job was downloading (union of the download intervals). */
  downloadBusyMs: number;
}

const mean = (xs: readonly number[]): number => (xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length);

/** Length of the union of intervals. */
export function unionMs(intervals: ReadonlyArray<readonly [number, number]>): number {
  const sorted = [...intervals].filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  let total = 0;
  let end = Number.NEGATIVE_INFINITY;
  for (const [a, b] of sorted) {
    if (a > end) {
      total += b - a;
      end = b;
    } else if (b > end) {
      total += b - end;
      end = b;
    }
  }
  return total;
}

export function summarisePhases(times: readonly JobTimes[], bytesPerJob: readonly number[]): PhaseSummary {
  const traced = times
    .map((t, i) => ({ t, bytes: bytesPerJob[i] ?? 0 }))
    .filter((x): x is { t: JobTimes & { startedAtMs: number; downloadedAtMs: number }; bytes: number } =>
      x.t.startedAtMs !== undefined && x.t.downloadedAtMs !== undefined);
  const queued = traced.map(({ t }) => t.startedAtMs - t.createdAtMs);
  const download = traced.map(({ t }) => t.downloadedAtMs - t.startedAtMs);
  const after = traced.map(({ t }) => t.completedAtMs - t.downloadedAtMs);
  const sumDownload = download.reduce((a, b) => a + b, 0);
  const sumAfter = after.reduce((a, b) => a + b, 0);
  const bytes = traced.reduce((a, x) => a + x.bytes, 0);
  return {
    jobs: times.length,
    traced: traced.length,
    meanMs: { queued: mean(queued), download: mean(download), after: mean(after), total: mean(times.map((t) => t.completedAtMs - t.createdAtMs)) },
    afterShare: sumDownload + sumAfter > 0 ? sumAfter / (sumDownload + sumAfter) : Number.NaN,
    perJobDownloadBytesPerS: sumDownload > 0 ? (bytes * 1000) / sumDownload : Number.NaN,
    downloadBusyMs: unionMs(traced.map(({ t }) => [t.startedAtMs, t.downloadedAtMs] as const)),
  };
}
