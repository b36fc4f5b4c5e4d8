// The callback dispatcher: claims due deliveries (delivery.repository.ts), routes each from its
// app's configuration (routing.ts), signs it (callback-auth.ts), POSTs the stored body
// (callback-sender.ts) and records the outcome, retrying on the schedule of retry-schedule.ts.
//
// Why a dedicated loop over a deliveries table rather than the job queue: per-media order is one
// condition in the claim ("no earlier pending delivery of this media"), and a failed delivery
// holds back its media's later events simply by staying pending. Jobs are claimed independently,
// so ordering on top of them would need jobs that check and reschedule each other. The delivery
// row doubles as the delivery log.
//
// Guarantees: a delivery row commits with its event, so none is lost; a healthy receiver gets each
// event once (one claim, one POST, one recorded result). Only a crash between the receiver's 200
// and the recorded result can repeat a POST (after the lease runs out) — receivers de-duplicate
// by EventId. Graceful close waits for in-flight POSTs (bounded by the 5 s timeout) first.
//
// Lifecycle: start() begins polling; wake() polls now; close() stops claiming, lets in-flight
// deliveries finish for `closeGraceMs`, then aborts the rest and hands their claims back.
// close() is idempotent.
import type { Logger } from '../logger.js';
import type { Store } from '../store/db.js';
import { createWaker, settlesWithin } from '../jobs/poll-loop.js';
import { authHeaders } from './callback-auth.js';
import type { CallbackPoster } from './callback-sender.js';
import {
  claimDeliveries, type DeliveryLease, type DeliveryRow, eventBodies, markFailed, markSkipped, releaseDelivery,
} from './delivery.repository.js';
import { createDeliveredWriter } from './delivered-writer.js';
import type { MessageCallbackSettings } from './message-callback.rules.js';
import { findMessageCallbacks } from './message-callback.repository.js';
import { DispatcherConfigError, DispatcherStateError } from './notify.errors.js';
import { nextRetry, type RetryPolicy, retryPolicyProblems } from './retry-schedule.js';
import { routeEvent, type Route } from './routing.js';

type SendRoute = Extract<Route, { kind: 'send' }>;

export interface DispatcherSettings extends RetryPolicy {
  /** Deliveries in flight at once, per process. */
  readonly concurrency: number;
  /** Idle sleep between polls. */
  readonly pollMs: number;
  /** How long a claim holds a delivery; must exceed timeoutMs. */
  readonly leaseMs: number;
  /** No response within this = a failed attempt (reference: 5 s). */
  readonly timeoutMs: number;
}

export interface DispatcherOptions {
  readonly store: Store;
  readonly post: CallbackPoster;
  readonly settings: DispatcherSettings;
  /** Unique per process, e.g. `${hostname}:${pid}`. */
  readonly dispatcherId: string;
  readonly log: Logger;
  readonly now?: () => number;
  readonly random?: () => number;
  /** How long close() lets in-flight deliveries finish before aborting them (default timeoutMs + 1 s). */
  readonly closeGraceMs?: number;
}

export interface CallbackDispatcher {
  start(): void;
  /** Polls now (e.g. after events were committed in this process). */
  wake(): void;
  close(): Promise<void>;
  inFlight(): number;
}

type State = 'idle' | 'running' | 'closing' | 'closed';

interface Batch {
  readonly bodies: ReadonlyMap<number, string>;
  readonly configs: ReadonlyMap<string, MessageCallbackSettings>;
}

export function createDispatcher(options: DispatcherOptions): CallbackDispatcher {
  const { store, post, settings, dispatcherId } = options;
  const problems = settingsProblems(settings);
  if (problems.length > 0) throw new DispatcherConfigError(problems);
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const closeGraceMs = options.closeGraceMs ?? settings.timeoutMs + 1_000;
  const log = options.log.child({ component: 'notify.dispatcher', dispatcherId });
  const db = store.db;
  const inflight = new Set<Promise<void>>();
  const shutdown = new AbortController();
  const waker = createWaker();
  const delivered = createDeliveredWriter(db, now);
  let state: State = 'idle';
  let claimNo = 0;
  let loopDone: Promise<void> = Promise.resolve();
  let closing: Promise<void> | undefined;

  const deliver = async (row: DeliveryRow, lease: DeliveryLease, body: string, route: SendRoute): Promise<void> => {
    const dlog = log.child({ eventId: row.event_id, eventType: row.event_type, mediaId: row.media_id, attempt: row.attempts });
    const host = hostOf(route.url);
    const headers = { 'x-openvod-event-id': row.event_id, ...authHeaders({ callbackUrl: route.url, rawBody: body, authKey: route.authKey, nowMs: now() }) };
    const outcome = await post({ url: route.url, body, headers, timeoutMs: settings.timeoutMs, signal: shutdown.signal });
    const at = now();
    if (outcome.delivered) {
      const recorded = await delivered.record(lease, route.url);
      dlog.debug({ host, overridden: route.overridden, recorded }, 'callback delivered');
      return;
    }
    if (outcome.aborted) {
      await releaseDelivery(db, lease, { nowMs: at });
      dlog.info({ host }, 'callback attempt aborted by shutdown; handed back');
      return;
    }
    // A refused address (SSRF guard) will be refused again: dead at once, so the media's later
    // events are not held back for the whole horizon; fix the URL, then redeliver.
    const decision = outcome.permanent
      ? { kind: 'dead' as const }
      : nextRetry(settings, { failures: row.attempts, scheduledAtMs: row.scheduled_at_ms, nowMs: at, random });
    const retryAtMs = decision.kind === 'retry' ? decision.atMs : undefined;
    await markFailed(db, lease, row.media_id, { targetUrl: route.url, statusCode: outcome.statusCode, error: outcome.error, retryAtMs, nowMs: at });
    if (retryAtMs === undefined) dlog.warn({ host, statusCode: outcome.statusCode, error: outcome.error }, outcome.permanent ? 'callback dead: address refused' : 'callback dead: retry horizon reached');
    else dlog.info({ host, statusCode: outcome.statusCode, error: outcome.error, retryInMs: retryAtMs - at }, 'callback failed; will retry');
  };

  /** Routes a claimed batch: deliveries not to be sent are recorded together; the rest become tasks. */
  const dispatchBatch = async (claimed: readonly DeliveryRow[], token: string, batch: Batch): Promise<void> => {
    const skipped = new Map<string, number[]>();
    for (const row of claimed) {
      const lease = { seq: row.seq, token };
      const body = batch.bodies.get(row.seq);
      if (body === undefined) {
        await markFailed(db, lease, row.media_id, { targetUrl: '', statusCode: undefined, error: 'the event body is missing from the outbox', retryAtMs: undefined, nowMs: now() });
        log.error({ eventId: row.event_id }, 'event body missing; delivery marked dead');
        continue;
      }
      const route = routeEvent({ appId: row.app_id, eventType: row.event_type, overrideUrl: row.override_url }, batch.configs.get(row.app_id));
      if (route.kind === 'skip') skipped.set(route.reason, [...(skipped.get(route.reason) ?? []), row.seq]);
      else if (state === 'running') startTask(row, lease, body, route);
      else await releaseDelivery(db, lease, { nowMs: now() });
    }
    for (const [reason, seqs] of skipped) {
      await markSkipped(db, token, seqs, { reason, nowMs: now() });
      log.debug({ reason, count: seqs.length }, 'callbacks skipped');
    }
  };

  const startTask = (row: DeliveryRow, lease: DeliveryLease, body: string, route: SendRoute): void => {
    const task = deliver(row, lease, body, route).catch((err: unknown) => {
      // The outcome could not be recorded: the claim stays until its lease runs out, then the
      // delivery is claimed again.
      log.error({ err, eventId: row.event_id }, 'recording a delivery outcome failed; it will be retried after its lease');
    });
    inflight.add(task);
    void task.finally(() => {
      inflight.delete(task);
      waker.wake();
    });
  };

  // Under load, claim in batches (one claim query per quarter of the slots) rather than once per
  // finished delivery; with few deliveries in flight every free slot is claimed at once.
  const minBatch = Math.max(1, Math.floor(settings.concurrency / 4));

  const loop = async (): Promise<void> => {
    let failures = 0;
    while (state === 'running') {
      const free = settings.concurrency - inflight.size;
      if (free < minBatch) {
        await waker.wait(settings.pollMs);
        continue;
      }
      const token = `${dispatcherId}#${++claimNo}`;
      let claimed: DeliveryRow[];
      let batch: Batch;
      try {
        claimed = await claimDeliveries(store, { token, limit: free, leaseMs: settings.leaseMs, nowMs: now() });
        const [bodies, configs] = claimed.length === 0
          ? [new Map<number, string>(), new Map<string, MessageCallbackSettings>()]
          : await Promise.all([eventBodies(db, claimed.map((r) => r.seq)), findMessageCallbacks(db, claimed.map((r) => r.app_id))]);
        batch = { bodies, configs };
        failures = 0;
      } catch (err) {
        failures += 1;
        log.error({ err, failures }, 'claiming deliveries failed');
        await waker.wait(settings.pollMs * Math.min(2 ** failures, 32));
        continue;
      }
      try {
        await dispatchBatch(claimed, token, batch);
      } catch (err) {
        // Whatever was not handed to a task stays claimed until its lease runs out.
        log.error({ err }, 'dispatching a claimed batch failed');
      }
      if (claimed.length < free) await waker.wait(settings.pollMs);
    }
  };

  const close = async (): Promise<void> => {
    if (state === 'idle') {
      state = 'closed';
      return;
    }
    state = 'closing';
    waker.wake();
    await loopDone;
    if (!(await settlesWithin(Promise.all(inflight), closeGraceMs))) {
      log.warn({ inFlight: inflight.size }, 'close: aborting in-flight callbacks');
      shutdown.abort(new DispatcherStateError('the callback dispatcher is closing'));
      if (!(await settlesWithin(Promise.all(inflight), 2_000))) log.warn({ inFlight: inflight.size }, 'close: deliveries still in flight; their leases will expire');
    }
    waker.dispose();
    state = 'closed';
    log.info('callback dispatcher closed');
  };

  return {
    start() {
      if (state === 'running') return;
      if (state !== 'idle') throw new DispatcherStateError(`the callback dispatcher cannot start: it is ${state}`);
      state = 'running';
      loopDone = loop().catch((err: unknown) => log.error({ err }, 'dispatcher loop crashed'));
      log.info({ concurrency: settings.concurrency }, 'callback dispatcher started');
    },
    wake() {
      waker.wake();
    },
    close() {
      closing ??= close();
      return closing;
    },
    inFlight() {
      return inflight.size;
    },
  };
}

function settingsProblems(s: DispatcherSettings): string[] {
  const problems = retryPolicyProblems(s);
  if (!Number.isInteger(s.concurrency) || s.concurrency < 1) problems.push('concurrency must be an integer >= 1');
  if (!(s.pollMs > 0)) problems.push('pollMs must be > 0');
  if (!(s.timeoutMs > 0)) problems.push('timeoutMs must be > 0');
  if (!(s.leaseMs > s.timeoutMs)) problems.push('leaseMs must be longer than timeoutMs');
  return problems;
}

/** The host of a URL, for logs: callback URLs may carry tokens in their path or query. */
function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(invalid URL)';
  }
}

