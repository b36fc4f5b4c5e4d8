// The end of a run, for a person and for scripts: the summary (counts per state, failures per
// error code, bytes) and the exit status. Pure.
//
// Exit status: 0 when every item of the source succeeded or was skipped; 1 when any failed, any
// is not finished (the target refused the run, a listing error, items still in flight), 2 for a
// usage error (nothing was done), 130 when interrupted (Ctrl-C / SIGTERM; run again to resume).
import type { StateCounts } from './ledger/ledger.types.js';
import type { MigrationMethod } from './source.js';
import type { RunResult } from './run/runner.js';
import { formatBytes, formatDuration } from '../cli/upload-progress.js';

export const EXIT_OK = 0;
export const EXIT_INCOMPLETE = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

export function exitCodeFor(result: Pick<RunResult, 'outcome' | 'counts' | 'listingError'>): number {
  if (result.outcome === 'interrupted') return EXIT_INTERRUPTED;
  const s = result.counts.byState;
  const clean = result.outcome === 'done' && result.listingError === undefined && s.failed + s.pending + s.submitting + s.submitted === 0;
  return clean ? EXIT_OK : EXIT_INCOMPLETE;
}

export interface Summary {
  readonly Event: 'summary';
  readonly Source: string;
  readonly Method: MigrationMethod;
  readonly Outcome: RunResult['outcome'];
  readonly Total: number;
  readonly Succeeded: number;
  readonly Failed: number;
  readonly Skipped: number;
  readonly Pending: number;
  readonly InFlight: number;
  readonly Bytes: number;
  readonly ErrorCodes: Readonly<Record<string, number>>;
  readonly ElapsedS: number;
  readonly Error?: string | undefined;
  readonly ExitCode: number;
}

export function summaryOf(source: string, method: MigrationMethod, result: RunResult, elapsedMs: number): Summary {
  const c: StateCounts = result.counts;
  const err = result.error ?? result.listingError;
  return {
    Event: 'summary', Source: source, Method: method, Outcome: result.outcome, Total: c.total, Succeeded: c.byState.succeeded,
    Failed: c.byState.failed, Skipped: c.byState.skipped, Pending: c.byState.pending, InFlight: c.byState.submitting + c.byState.submitted,
    Bytes: c.succeededBytes, ErrorCodes: c.failuresByCode, ElapsedS: Math.round(elapsedMs / 100) / 10,
    Error: err === undefined ? undefined : `${result.listingError === err ? 'listing stopped early: ' : ''}${err.message}`, ExitCode: exitCodeFor(result),
  };
}

export function summaryText(s: Summary, ledgerPath: string): string {
  const w = (n: number): string => String(n).padStart(7);
  const lines = [
    `${s.Outcome === 'interrupted' ? 'Stopped' : 'Migrated'} ${s.Source} (${s.Method}) in ${formatDuration(s.ElapsedS)}`,
    `  succeeded ${w(s.Succeeded)}   ${formatBytes(s.Bytes)}`,
    `  failed    ${w(s.Failed)}`,
    ...Object.entries(s.ErrorCodes).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([code, n]) => `    ${code.padEnd(32)} ${n}`),
    `  skipped   ${w(s.Skipped)}`,
  ];
  if (s.Pending + s.InFlight > 0) lines.push(`  not done  ${w(s.Pending + s.InFlight)}   (${s.InFlight} on the target, ${s.Pending} not sent)`);
  if (s.Error) lines.push(`  ${s.Error}`);
  if (s.ExitCode === EXIT_INTERRUPTED || s.Pending + s.InFlight > 0) lines.push('Run the same command again to continue.');
  else if (s.Failed > 0) lines.push('Run again with --retry-failed to retry the failures.');
  lines.push(`Mapping: openvod migrate export --state ${ledgerPath} --format csv`);
  return `${lines.join('\n')}\n`;
}
