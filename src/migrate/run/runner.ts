// One migration run over one source: list into the ledger, resolve what an earlier run left
// unresolved, submit pending items within the in-flight limit, check submitted ones until they
// finish (polling; callbacks only make an item due sooner), verify, and stop when nothing is
// left — or when asked to (the signal) or when the target refuses everyone (RunStoppedError).
// Three loops share the ledger: the listing (a background task), submissions and checks (tasks
// launched by the main loop, which sleeps on a Wakeup between rounds).
import type { Ledger } from '../ledger/ledger.js';
import type { ItemRow, StateCounts } from '../ledger/ledger.types.js';
import type { Emit } from '../migrate.events.js';
import { MigrateUsageError } from '../migrate.errors.js';
import type { MigrationSource } from '../source.js';
import type { Target } from '../target/target-client.js';
import { errorMessageOf, RunStoppedError } from '../target/target-errors.js';
import { createCategoryResolver } from '../categories.js';
import type { Uploader } from '../../sdk/index.js';
import type { MethodDriver } from '../methods/method.js';
import { pullMethod } from '../methods/pull.method.js';
import { pushMethod } from '../methods/push.method.js';
import { registerMethod } from '../methods/register.method.js';
import type { RunContext, RunHooks, RunOptions } from './run-context.js';
import { CallbackNotices } from './callback-notices.js';
import { CheckSchedule } from './check-schedule.js';
import { listIntoLedger } from './listing.js';
import { Wakeup } from './wakeup.js';

export interface CallbackFeed {
  /** The URL sent in UserData.MessageCallback. */
  readonly url: string;
  /** Calls `fn` for each authentic event; returns an unsubscribe function. */
  subscribe(fn: (ids: { jobId?: string | undefined; videoId?: string | undefined }) => void): () => void;
}

export interface RunDeps {
  readonly source: MigrationSource;
  readonly ledger: Ledger;
  readonly target: Target;
  readonly emit: Emit;
  /** Stops the run: nothing new is submitted, pushes are aborted, the ledger keeps the rest. */
  readonly signal: AbortSignal;
  readonly uploader?: Uploader | undefined;
  readonly callbacks?: CallbackFeed | undefined;
  readonly hooks?: RunHooks | undefined;
  readonly now?: () => number;
}

export type RunOutcome = 'done' | 'interrupted' | 'stopped';

export interface RunResult {
  readonly outcome: RunOutcome;
  /** This source's items, by state, at the end. */
  readonly counts: StateCounts;
  /** Why the run stopped (outcome `stopped`), or why the listing ended early. */
  readonly error?: Error | undefined;
  readonly listingError?: Error | undefined;
}

const RECOVER_CHUNK = 100;
const MIN_SLEEP_MS = 20;

function driverFor(ctx: RunContext): MethodDriver {
  switch (ctx.options.method) {
    case 'pull':
      return pullMethod(ctx);
    case 'push':
      return pushMethod(ctx);
    case 'register':
      return registerMethod(ctx);
  }
}

export async function runMigration(deps: RunDeps, options: RunOptions): Promise<RunResult> {
  const now = deps.now ?? Date.now;
  const spec = deps.source.spec;
  const stop = new AbortController();
  const signal = AbortSignal.any([deps.signal, stop.signal]);
  let stopError: Error | undefined;
  const schedule = new CheckSchedule(deps.ledger, spec);
  const ctx: RunContext = {
    source: deps.source, spec, ledger: deps.ledger, target: deps.target, options, emit: deps.emit, now, signal,
    categories: createCategoryResolver(deps.target), callbackUrl: deps.callbacks?.url, uploader: deps.uploader, hooks: deps.hooks ?? {}, schedule,
  };
  const driver = driverFor(ctx);
  const { ledger } = deps;
  const wake = new Wakeup();
  const tasks = new Set<Promise<void>>();
  const active = new Set<string>();
  let submitsRunning = 0;
  let checking = false;
  let recovering = false;
  let listingDone = false;
  let listingError: Error | undefined;

  const track = (p: Promise<void>): void => {
    tasks.add(p);
    void p.finally(() => {
      tasks.delete(p);
      wake.notify();
    });
  };
  const halt = (e: unknown): boolean => {
    if (e instanceof RunStoppedError || e instanceof MigrateUsageError) {
      stopError ??= e;
      stop.abort(e);
      return true;
    }
    return signal.aborted;
  };

  ledger.setMeta('last_run', JSON.stringify({ source: spec, method: options.method, at: new Date(now()).toISOString() }));
  if (options.retryFailed) ledger.resetFailed(spec, now());
  deps.emit({ type: 'start', source: spec, method: options.method, counts: ledger.counts(spec), knownBytes: ledger.knownBytes(spec), callbackUrl: deps.callbacks?.url });
  const notices = new CallbackNotices(ledger, schedule, now);
  const unsubscribe = deps.callbacks?.subscribe((ids) => {
    if (notices.receive(ids)) wake.notify();
  });
  const listing = listIntoLedger({ source: deps.source, ledger, emit: deps.emit, now, signal, onChunk: () => wake.notify() })
    .catch((e: unknown) => {
      if (!halt(e)) listingError = e instanceof Error ? e : new Error(String(e));
    })
    .finally(() => {
      listingDone = true;
      wake.notify();
    });

  async function recover(rows: readonly ItemRow[]): Promise<void> {
    for (let i = 0; i < rows.length && !signal.aborted; i += RECOVER_CHUNK) {
      try {
        await driver.recover(rows.slice(i, i + RECOVER_CHUNK));
      } catch (e) {
        if (halt(e)) return;
        deps.emit({ type: 'warning', message: `could not resolve earlier submissions yet: ${errorMessageOf(e)}` });
        return;
      }
    }
  }

  /**
   * Launches submissions while there is room; returns true when it stopped for want of room (then
   * only a finishing task — which wakes the loop — can change that, and no timer is needed).
   */
  function launchSubmissions(): boolean {
    const threshold = Math.min(Math.ceil(driver.batchSize / 2), options.maxInFlight);
    for (;;) {
      if (signal.aborted || submitsRunning >= driver.parallelSubmits) return true;
      const leftovers = ledger.idsInState(spec, 'submitting').filter((id) => !active.has(id)).length;
      const capacity = options.maxInFlight - schedule.size() - leftovers - active.size;
      if (capacity <= 0) return true;
      // Counted from the index first (items being submitted may still show as pending: counted
      // out, which can only underestimate); the rows themselves are read when a batch goes out.
      const available = ledger.countPendingNow(spec, now(), driver.batchSize + active.size) - active.size;
      if (available <= 0) return false;
      if (available > capacity && capacity < threshold) return true; // wait for room for a fuller batch
      const rows = ledger.takePending(spec, now(), driver.batchSize + active.size).filter((r) => !active.has(r.item_id));
      if (rows.length === 0) return false;
      const take = rows.slice(0, Math.min(driver.batchSize, capacity));
      for (const r of take) active.add(r.item_id);
      submitsRunning++;
      track(driver.submit(take).catch((e: unknown) => {
        if (halt(e)) return;
        deps.emit({ type: 'warning', message: `submission failed: ${errorMessageOf(e)}` });
        const later = now() + options.pollIntervalMs;
        for (const r of take) if (ledger.get(spec, r.item_id)?.state === 'pending') ledger.update(spec, r.item_id, { next_at_ms: later }, now());
      }).finally(() => {
        for (const r of take) active.delete(r.item_id);
        submitsRunning--;
      }));
    }
  }

  function launchChecks(): void {
    if (checking || signal.aborted) return;
    const due = schedule.due(now(), driver.checkBatchSize * 8);
    if (due.length === 0) return;
    checking = true;
    const groups: ItemRow[][] = [];
    for (let i = 0; i < due.length; i += driver.checkBatchSize) groups.push(due.slice(i, i + driver.checkBatchSize));
    track(Promise.all(groups.map((g) => driver.check(g).catch((e: unknown) => {
      if (halt(e)) return;
      deps.emit({ type: 'warning', message: `checking ${g.length} item(s) failed: ${errorMessageOf(e)}` });
      const later = now() + options.pollIntervalMs;
      for (const r of g) schedule.later(r.item_id, later);
    }))).then(() => undefined).finally(() => {
      checking = false;
    }));
  }

  /** Rows left `submitting` by a lost answer in this run (not being sent right now). */
  function launchRecovery(): void {
    if (recovering || signal.aborted) return;
    const ids = ledger.idsInState(spec, 'submitting').filter((id) => !active.has(id));
    if (ids.length === 0) return;
    recovering = true;
    const rows = ids.map((id) => ledger.get(spec, id)).filter((r): r is ItemRow => r?.state === 'submitting');
    for (const r of rows) active.add(r.item_id);
    track(recover(rows).finally(() => {
      for (const r of rows) active.delete(r.item_id);
      recovering = false;
    }));
  }

  const finished = (): boolean => listingDone && tasks.size === 0 && !ledger.hasUnfinished(spec);

  try {
    // What an earlier run left unresolved is settled before anything new goes out.
    const leftovers = ledger.inState(spec, 'submitting');
    if (leftovers.length > 0) await recover(leftovers);
    let lastRecovery = now();
    while (!signal.aborted) {
      notices.retry();
      schedule.refresh();
      const full = launchSubmissions();
      launchChecks();
      if (now() - lastRecovery >= options.pollIntervalMs) {
        lastRecovery = now();
        launchRecovery();
      }
      if (finished()) break;
      // Sleep until the next thing that is due — or until a task ends or a callback arrives
      // (both wake the loop). What only a finishing task can unblock sets no timer: a full
      // in-flight window, a check still running.
      const next = Math.min(
        full ? Infinity : (ledger.nextPendingAt(spec, now()) ?? Infinity),
        checking ? Infinity : (schedule.nextAt() ?? Infinity),
        lastRecovery + options.pollIntervalMs,
      );
      await wake.wait(Math.min(options.pollIntervalMs, Math.max(MIN_SLEEP_MS, next - now())), signal);
    }
  } catch (e) {
    if (!halt(e)) throw e;
  } finally {
    unsubscribe?.();
    await Promise.allSettled([...tasks]);
    if (!signal.aborted) await listing;
  }
  const counts = ledger.counts(spec);
  const outcome: RunOutcome = stopError ? 'stopped' : deps.signal.aborted ? 'interrupted' : 'done';
  return { outcome, counts, error: stopError, listingError };
}
