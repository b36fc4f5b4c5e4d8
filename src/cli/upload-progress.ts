// Progress output for `openvod upload`: a redrawn bar on a TTY (bytes, rate, ETA; at most
// 10 redraws a second), or JSON lines for scripts. Formatting is pure; the writers are injected.
import type { UploadProgress } from '../sdk/index.js';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

export function formatBytes(n: number): string {
  let v = n;
  let i = 0;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${i === 0 ? v.toFixed(0) : v.toFixed(1)} ${UNITS[i]}`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

export interface BarState { bytesSent: number; totalBytes: number | undefined; rateBytesPerS: number }

/** One line, e.g. `[#######.............]  35%  96.0 MiB / 274.0 MiB  48.2 MiB/s  ETA 0:03`. */
export function barLine(s: BarState, width = 24): string {
  const rate = `${formatBytes(s.rateBytesPerS)}/s`;
  if (!s.totalBytes) return `${formatBytes(s.bytesSent)}  ${rate}`;
  const f = Math.min(1, s.bytesSent / s.totalBytes);
  const filled = Math.round(f * width);
  const eta = s.rateBytesPerS > 0 ? (s.totalBytes - s.bytesSent) / s.rateBytesPerS : Number.NaN;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.floor(f * 100)).padStart(3)}%  ` +
    `${formatBytes(s.bytesSent)} / ${formatBytes(s.totalBytes)}  ${rate}  ETA ${formatDuration(eta)}`;
}

export interface ProgressSink {
  update(p: UploadProgress): void;
  /** Draws the last state (if any is pending) and ends the bar line. */
  finish(): void;
}

/** Rate over this run only: bytes acknowledged since the first event (a resumed upload's earlier bytes don't count). */
function rateMeter(now: () => number): (bytes: number) => number {
  let start: { t: number; bytes: number } | undefined;
  return (bytes) => {
    const t = now();
    start ??= { t, bytes };
    const s = (t - start.t) / 1000;
    return s > 0 ? (bytes - start.bytes) / s : 0;
  };
}

export function ttyBar(write: (s: string) => void, now: () => number = Date.now, minIntervalMs = 100): ProgressSink {
  const rate = rateMeter(now);
  let last = -Infinity;
  let pending: UploadProgress | undefined;
  let drawn = false;
  const draw = (p: UploadProgress): void => {
    write(`\r\x1b[2K${barLine({ bytesSent: p.bytesSent, totalBytes: p.totalBytes, rateBytesPerS: rate(p.bytesSent) })}`);
    drawn = true;
    pending = undefined;
    last = now();
  };
  return {
    update(p) {
      pending = p;
      if (now() - last >= minIntervalMs) draw(p);
      else rate(p.bytesSent);
    },
    finish() {
      if (pending) draw(pending);
      if (drawn) write('\n');
    },
  };
}

/** JSON lines: `{"Event":"progress","VideoId","BytesSent","TotalBytes"}`, at most 10 a second plus the last. */
export function jsonProgress(write: (s: string) => void, now: () => number = Date.now, minIntervalMs = 100): ProgressSink {
  let last = -Infinity;
  let pending: UploadProgress | undefined;
  const emit = (p: UploadProgress): void => {
    write(`${JSON.stringify({ Event: 'progress', VideoId: p.videoId, BytesSent: p.bytesSent, TotalBytes: p.totalBytes ?? null, Resumed: p.resumed })}\n`);
    pending = undefined;
    last = now();
  };
  return {
    update(p) {
      pending = p;
      if (now() - last >= minIntervalMs || (p.totalBytes !== undefined && p.bytesSent >= p.totalBytes)) emit(p);
    },
    finish() {
      if (pending) emit(pending);
    },
  };
}

export const silentProgress: ProgressSink = { update() {}, finish() {} };
