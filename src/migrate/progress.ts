// How a run shows itself: a redrawn status line on a TTY (items done/failed/in flight, bytes,
// rate, ETA) with failures and warnings printed above it; JSON lines for scripts (`--json`: one
// object per event, `{"Event":"submitted"|"succeeded"|"failed"|…}`); or, on a plain pipe, only
// failures and warnings. Formatting is pure; writers, clock and counts are injected.
import { formatBytes, formatDuration } from '../cli/upload-progress.js';
import type { StateCounts } from './ledger/ledger.types.js';
import type { MigrateEvent } from './migrate.events.js';

export interface Reporter {
  event(e: MigrateEvent): void;
  /** Ends the status line (before the summary is printed). */
  finish(): void;
}

/** The JSON line for an event (undefined for events too frequent to print: push byte counts). */
export function eventJson(e: MigrateEvent): string | undefined {
  switch (e.type) {
    case 'start':
      return JSON.stringify({ Event: 'start', Source: e.source, Method: e.method, Total: e.counts.total, Succeeded: e.counts.byState.succeeded, Failed: e.counts.byState.failed, CallbackURL: e.callbackUrl });
    case 'listed':
      return JSON.stringify({ Event: 'listed', Added: e.added, AddedBytes: e.addedBytes, Done: e.done });
    case 'submitted':
      return JSON.stringify({ Event: 'submitted', SourceId: e.itemId, Attempt: e.attempt, JobId: e.jobId, VideoId: e.videoId });
    case 'recovered':
      return JSON.stringify({ Event: 'recovered', SourceId: e.itemId, JobId: e.jobId, VideoId: e.videoId, How: e.how });
    case 'requeued':
      return JSON.stringify({ Event: 'requeued', SourceId: e.itemId, Reason: e.reason });
    case 'succeeded':
      return JSON.stringify({ Event: 'succeeded', SourceId: e.itemId, VideoId: e.videoId, JobId: e.jobId, Size: e.size, Duration: e.durationS });
    case 'failed':
      return JSON.stringify({ Event: 'failed', SourceId: e.itemId, ErrorCode: e.code, ErrorMessage: e.message, VideoId: e.videoId, JobId: e.jobId });
    case 'skipped':
      return JSON.stringify({ Event: 'skipped', SourceId: e.itemId, Code: e.code, Message: e.message });
    case 'retry':
      return JSON.stringify({ Event: 'retry', Action: e.action, Attempt: e.attempt, DelayMs: e.delayMs, Code: e.code });
    case 'callback':
      return JSON.stringify({ Event: 'callback', Accepted: e.accepted, EventType: e.eventType, Reason: e.reason });
    case 'warning':
      return JSON.stringify({ Event: 'warning', Message: e.message });
    case 'bytes':
      return undefined;
  }
}

export function jsonReporter(write: (s: string) => void): Reporter {
  return {
    event(e) {
      const line = eventJson(e);
      if (line !== undefined) write(`${line}\n`);
    },
    finish() {},
  };
}

/** A line for a failure or warning, or undefined for events a person need not see one by one. */
export function noticeLine(e: MigrateEvent): string | undefined {
  if (e.type === 'failed') return `failed   ${e.itemId}: ${e.code} ${e.message}`;
  if (e.type === 'warning') return `warning  ${e.message}`;
  if (e.type === 'callback' && !e.accepted) return `warning  a callback was refused: ${e.reason ?? ''}`;
  return undefined;
}

export function plainReporter(write: (s: string) => void): Reporter {
  return {
    event(e) {
      const line = noticeLine(e);
      if (line !== undefined) write(`${line}\n`);
    },
    finish() {},
  };
}

export interface StatusState {
  readonly counts: StateCounts;
  /** Counts when this run began (rates are over this run). */
  readonly startCounts: StateCounts;
  readonly listingDone: boolean;
  readonly bytes: number;
  readonly elapsedS: number;
}

/** e.g. `120/1000 done · 3 failed · 50 in flight · 1.2 GiB · 35.1 MiB/s · 12.3 items/s · ETA 1:12`. */
export function statusLine(s: StatusState): string {
  const b = s.counts.byState;
  const finished = b.succeeded + b.failed + b.skipped;
  const doneNow = finished - (s.startCounts.byState.succeeded + s.startCounts.byState.failed + s.startCounts.byState.skipped);
  const itemsPerS = s.elapsedS > 0 ? doneNow / s.elapsedS : 0;
  const left = b.pending + b.submitting + b.submitted;
  const eta = s.listingDone && itemsPerS > 0 ? formatDuration(left / itemsPerS) : '--:--';
  return [
    `${finished}/${s.counts.total}${s.listingDone ? '' : '+'} done`,
    `${b.failed} failed`,
    `${b.submitting + b.submitted} in flight`,
    formatBytes(s.bytes),
    `${formatBytes(s.elapsedS > 0 ? s.bytes / s.elapsedS : 0)}/s`,
    `${itemsPerS.toFixed(1)} items/s`,
    `ETA ${eta}`,
  ].join(' · ');
}

export function ttyReporter(write: (s: string) => void, counts: () => StateCounts, now: () => number = Date.now, minIntervalMs = 200): Reporter {
  const startedAt = now();
  let startCounts: StateCounts | undefined;
  let listingDone = false;
  let bytes = 0;
  let last = -Infinity;
  let drawn = false;
  const pushed = new Set<string>();
  const draw = (): void => {
    if (!startCounts) return;
    write(`\r\x1b[2K${statusLine({ counts: counts(), startCounts, listingDone, bytes, elapsedS: (now() - startedAt) / 1000 })}`);
    drawn = true;
    last = now();
  };
  // Redrawn now and then without events too (elapsed time, ETA).
  const ticker = setInterval(draw, 1000);
  ticker.unref();
  return {
    event(e) {
      if (e.type === 'start') startCounts = e.counts;
      if (e.type === 'listed' && e.done) listingDone = true;
      if (e.type === 'bytes') bytes += e.bytes;
      // A pull's bytes arrive with its success (a push's as they are sent).
      if (e.type === 'bytes') pushed.add(e.itemId);
      if (e.type === 'succeeded' && !pushed.delete(e.itemId)) bytes += e.size ?? 0;
      const line = noticeLine(e);
      if (line !== undefined) {
        write(`\r\x1b[2K${line}\n`);
        drawn = false;
      }
      if (line !== undefined || now() - last >= minIntervalMs) draw();
    },
    finish() {
      clearInterval(ticker);
      draw();
      if (drawn) write('\n');
    },
  };
}
