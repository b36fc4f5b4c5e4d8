// The event_deliveries table: one row per outbox event, inserted in the event's own transaction.
// It is the dispatcher's queue and the delivery log at once.
//
// Life of a row: `pending` → (claimed by a dispatcher: lease + attempt) → `delivered` | `skipped`
// | `pending` again with a later next_attempt_at_ms (a failed attempt) | `dead` (horizon reached).
// A claim is a lease (`locked_by` = claim token, `locked_until_ms`); every transition after it is
// fenced on the token, so a dispatcher whose lease ran out cannot overwrite a newer result.
//
// Per-media order: a delivery is claimable only while no earlier delivery (smaller seq) of the same
// media is still `pending` — in flight or waiting for a retry. `delivered`, `skipped` and `dead`
// earlier deliveries do not block (a dead one would otherwise block its media for ever).
import type { ExpressionBuilder, Kysely, Selectable, Transaction } from 'kysely';
import type { Store } from '../store/db.js';
import type { Database, EventDeliveryStatus, EventDeliveryTable } from '../store/schema.js';

type Db = Kysely<Database> | Transaction<Database>;
export type DeliveryRow = Selectable<EventDeliveryTable>;

export const LAST_ERROR_MAX_CHARS = 1024;

export interface NewDelivery {
  readonly seq: number;
  readonly eventId: string;
  readonly appId: string;
  readonly mediaId: string | null;
  readonly eventType: string;
  readonly overrideUrl: string | undefined;
  readonly nowMs: number;
}

export async function insertDelivery(db: Db, d: NewDelivery): Promise<void> {
  await db
    .insertInto('event_deliveries')
    .values({
      seq: d.seq, event_id: d.eventId, app_id: d.appId, media_id: d.mediaId, event_type: d.eventType, override_url: d.overrideUrl ?? null,
      status: 'pending', attempts: 0, scheduled_at_ms: d.nowMs, next_attempt_at_ms: d.nowMs, locked_by: null, locked_until_ms: null,
      target_url: null, last_status_code: null, last_error: null, last_attempt_at_ms: null, delivered_at_ms: null,
      created_at_ms: d.nowMs, updated_at_ms: d.nowMs,
    })
    .execute();
}

/** Identifies one claim of a delivery: the fence of every later transition. */
export interface DeliveryLease {
  readonly seq: number;
  readonly token: string;
}

/**
 * Claims up to `limit` due deliveries whose media has no earlier pending delivery, oldest due
 * first, and counts the attempt. Postgres: `UPDATE … WHERE seq IN (SELECT … FOR UPDATE SKIP
 * LOCKED)` lets dispatchers in several processes pass each other; SQLite serialises writers and
 * one `UPDATE … RETURNING` is atomic.
 */
export async function claimDeliveries(store: Store, input: { token: string; limit: number; leaseMs: number; nowMs: number }): Promise<DeliveryRow[]> {
  if (input.limit <= 0) return [];
  const { db, dialect } = store;
  const now = input.nowMs;
  const rows = await db
    .updateTable('event_deliveries')
    .set((eb) => ({
      locked_by: input.token, locked_until_ms: now + input.leaseMs, attempts: eb('attempts', '+', 1), last_attempt_at_ms: now, updated_at_ms: now,
    }))
    .where('seq', 'in', () => {
      const q = db
        .selectFrom('event_deliveries as d')
        .select('d.seq')
        .where('d.status', '=', 'pending')
        .where('d.next_attempt_at_ms', '<=', now)
        .where((eb) => eb.or([eb('d.locked_until_ms', 'is', null), eb('d.locked_until_ms', '<=', now)]))
        .where((eb) =>
          eb.not(
            eb.exists(
              eb
                .selectFrom('event_deliveries as e')
                .select('e.seq')
                .whereRef('e.media_id', '=', 'd.media_id')
                .where('e.status', '=', 'pending')
                .whereRef('e.seq', '<', 'd.seq'),
            ),
          ),
        )
        .orderBy('d.next_attempt_at_ms')
        .orderBy('d.seq')
        .limit(input.limit);
      return dialect === 'postgres' ? q.forUpdate().skipLocked() : q;
    })
    .returningAll()
    .execute();
  return rows.sort((a, b) => a.seq - b.seq);
}

/** The stored bodies of some events, by seq. */
export async function eventBodies(db: Db, seqs: readonly number[]): Promise<Map<number, string>> {
  if (seqs.length === 0) return new Map();
  const rows = await db.selectFrom('events').select(['seq', 'body']).where('seq', 'in', [...seqs]).execute();
  return new Map(rows.map((r) => [Number(r.seq), r.body]));
}

const held = (lease: DeliveryLease) => (eb: ExpressionBuilder<Database, 'event_deliveries'>) =>
  eb.and([eb('seq', '=', lease.seq), eb('locked_by', '=', lease.token), eb('status', '=', 'pending')]);

const clip = (s: string): string => (s.length > LAST_ERROR_MAX_CHARS ? `${s.slice(0, LAST_ERROR_MAX_CHARS - 1)}…` : s);

export async function markDelivered(db: Db, lease: DeliveryLease, r: { targetUrl: string; statusCode: number; nowMs: number }): Promise<boolean> {
  const u = await db
    .updateTable('event_deliveries')
    .set({
      status: 'delivered', target_url: r.targetUrl, last_status_code: r.statusCode, last_error: null, delivered_at_ms: r.nowMs,
      locked_by: null, locked_until_ms: null, updated_at_ms: r.nowMs,
    })
    .where(held(lease))
    .executeTakeFirst();
  return u.numUpdatedRows > 0n;
}

/**
 * Records several successful deliveries in one transaction (one commit for all of them: the
 * dispatcher groups the 200s that arrive while the previous group is being written). Returns
 * the seqs whose claim was still held, i.e. that were recorded.
 */
export async function markDeliveredMany(
  db: Kysely<Database>,
  items: ReadonlyArray<{ lease: DeliveryLease; targetUrl: string }>,
  r: { statusCode: number; nowMs: number },
): Promise<Set<number>> {
  const byUrl = new Map<string, DeliveryLease[]>();
  for (const i of items) byUrl.set(i.targetUrl, [...(byUrl.get(i.targetUrl) ?? []), i.lease]);
  const recorded = new Set<number>();
  await db.transaction().execute(async (trx) => {
    for (const [targetUrl, leases] of byUrl) {
      const rows = await trx
        .updateTable('event_deliveries')
        .set({
          status: 'delivered', target_url: targetUrl, last_status_code: r.statusCode, last_error: null, delivered_at_ms: r.nowMs,
          locked_by: null, locked_until_ms: null, updated_at_ms: r.nowMs,
        })
        .where('status', '=', 'pending')
        .where((eb) => eb.or(leases.map((l) => eb.and([eb('seq', '=', l.seq), eb('locked_by', '=', l.token)]))))
        .returning('seq')
        .execute();
      for (const row of rows) recorded.add(Number(row.seq));
    }
  });
  return recorded;
}

export interface FailedAttempt {
  readonly targetUrl: string;
  readonly statusCode: number | undefined;
  readonly error: string;
  /** The next attempt, or undefined: the delivery is dead. */
  readonly retryAtMs: number | undefined;
  readonly nowMs: number;
}

/**
 * Records a failed attempt: `pending` with the next attempt time, or `dead`. On a retry the
 * later pending deliveries of the same media are pushed back to that time too — they wait for
 * it anyway, and this keeps them out of every claim scan until then.
 */
export async function markFailed(db: Db, lease: DeliveryLease, mediaId: string | null, f: FailedAttempt): Promise<boolean> {
  const u = await db
    .updateTable('event_deliveries')
    .set({
      status: f.retryAtMs === undefined ? 'dead' : 'pending', next_attempt_at_ms: f.retryAtMs ?? f.nowMs,
      target_url: f.targetUrl, last_status_code: f.statusCode ?? null, last_error: clip(f.error),
      locked_by: null, locked_until_ms: null, updated_at_ms: f.nowMs,
    })
    .where(held(lease))
    .executeTakeFirst();
  if (u.numUpdatedRows === 0n) return false;
  if (f.retryAtMs !== undefined && mediaId !== null) {
    await db
      .updateTable('event_deliveries')
      .set({ next_attempt_at_ms: f.retryAtMs })
      .where('media_id', '=', mediaId)
      .where('status', '=', 'pending')
      .where('seq', '>', lease.seq)
      .where('next_attempt_at_ms', '<', f.retryAtMs)
      .execute();
  }
  return true;
}

/**
 * Not sent at all (no configuration, or the type is not selected): the claim's attempt is not
 * counted. Several deliveries of one claim (one token) at once; returns how many were recorded.
 */
export async function markSkipped(db: Db, token: string, seqs: readonly number[], r: { reason: string; nowMs: number }): Promise<number> {
  if (seqs.length === 0) return 0;
  const u = await db
    .updateTable('event_deliveries')
    .set((eb) => ({
      status: 'skipped', attempts: eb('attempts', '-', 1), last_error: clip(r.reason), locked_by: null, locked_until_ms: null, updated_at_ms: r.nowMs,
    }))
    .where('seq', 'in', [...seqs])
    .where('locked_by', '=', token)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(u.numUpdatedRows);
}

/** Hands a claim back unused (shutdown): due now, the attempt not counted. */
export async function releaseDelivery(db: Db, lease: DeliveryLease, r: { nowMs: number }): Promise<boolean> {
  const u = await db
    .updateTable('event_deliveries')
    .set((eb) => ({ attempts: eb('attempts', '-', 1), next_attempt_at_ms: r.nowMs, locked_by: null, locked_until_ms: null, updated_at_ms: r.nowMs }))
    .where(held(lease))
    .executeTakeFirst();
  return u.numUpdatedRows > 0n;
}

export interface DeliveryFilter {
  readonly appId?: string | undefined;
  readonly mediaId?: string | undefined;
  readonly eventType?: string | undefined;
  readonly eventIds?: readonly string[] | undefined;
  readonly statuses?: readonly EventDeliveryStatus[] | undefined;
  /** On the event's creation time, inclusive. */
  readonly startMs?: number | undefined;
  readonly endMs?: number | undefined;
}

export type DeliveryLogRow = DeliveryRow & { body: string | null };

function filtered(db: Db, f: DeliveryFilter) {
  let q = db.selectFrom('event_deliveries');
  if (f.appId !== undefined) q = q.where('event_deliveries.app_id', '=', f.appId);
  if (f.mediaId !== undefined) q = q.where('event_deliveries.media_id', '=', f.mediaId);
  if (f.eventType !== undefined) q = q.where('event_deliveries.event_type', '=', f.eventType);
  if (f.eventIds !== undefined) q = q.where('event_deliveries.event_id', 'in', f.eventIds.length > 0 ? [...f.eventIds] : ['']);
  if (f.statuses?.length) q = q.where('event_deliveries.status', 'in', [...f.statuses]);
  if (f.startMs !== undefined) q = q.where('event_deliveries.created_at_ms', '>=', f.startMs);
  if (f.endMs !== undefined) q = q.where('event_deliveries.created_at_ms', '<=', f.endMs);
  return q;
}

export async function listDeliveries(
  db: Db,
  f: DeliveryFilter,
  page: { offset: number; limit: number; ascending: boolean },
): Promise<{ total: number; rows: DeliveryLogRow[] }> {
  const dir = page.ascending ? 'asc' : 'desc';
  const rows = await filtered(db, f)
    .leftJoin('events', 'events.seq', 'event_deliveries.seq')
    .selectAll('event_deliveries')
    .select('events.body')
    .orderBy('event_deliveries.created_at_ms', dir)
    .orderBy('event_deliveries.seq', dir)
    .limit(page.limit)
    .offset(page.offset)
    .execute();
  const count = await filtered(db, f).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return { total: Number(count.n), rows };
}

const REDELIVERABLE: readonly EventDeliveryStatus[] = ['delivered', 'dead', 'skipped'];

const rescheduled = (nowMs: number) => ({
  status: 'pending' as const, attempts: 0, scheduled_at_ms: nowMs, next_attempt_at_ms: nowMs, locked_by: null, locked_until_ms: null,
  delivered_at_ms: null, updated_at_ms: nowMs,
});

export interface RedeliverByIdResult {
  readonly redelivered: string[];
  /** Already pending (waiting or in flight): left as they are. */
  readonly alreadyPending: string[];
  readonly nonExistent: string[];
}

/** Makes the given deliveries pending again, due now, with a fresh retry horizon. */
export async function redeliverByEventIds(db: Db, eventIds: readonly string[], nowMs: number): Promise<RedeliverByIdResult> {
  if (eventIds.length === 0) return { redelivered: [], alreadyPending: [], nonExistent: [] };
  const ids = [...new Set(eventIds)];
  const updated = await db
    .updateTable('event_deliveries')
    .set(rescheduled(nowMs))
    .where('event_id', 'in', ids)
    .where('status', 'in', [...REDELIVERABLE])
    .returning('event_id')
    .execute();
  const done = new Set(updated.map((r) => r.event_id));
  const existing = await db.selectFrom('event_deliveries').select('event_id').where('event_id', 'in', ids).execute();
  const known = new Set(existing.map((r) => r.event_id));
  return {
    redelivered: ids.filter((id) => done.has(id)),
    alreadyPending: ids.filter((id) => known.has(id) && !done.has(id)),
    nonExistent: ids.filter((id) => !known.has(id)),
  };
}

/** Makes every dead delivery matching the filter pending again; returns how many. */
export async function redeliverDead(db: Db, f: Omit<DeliveryFilter, 'statuses' | 'eventIds'>, nowMs: number): Promise<number> {
  const u = await db
    .updateTable('event_deliveries')
    .set(rescheduled(nowMs))
    .where('seq', 'in', () => filtered(db, { ...f, statuses: ['dead'] }).select('event_deliveries.seq'))
    .executeTakeFirst();
  return Number(u.numUpdatedRows);
}
