// The delivery log, shared by the RPC actions (ListEventDeliveries, RedeliverEvents) and the CLI
// (`openvod events list|redeliver`): filter parsing, listing, redelivery and the view of a row.
import { invalid } from '../domain/errors.js';
import { isoSeconds, parseIsoUtc } from '../domain/time.js';
import type { Store } from '../store/db.js';
import type { EventDeliveryStatus } from '../store/schema.js';
import {
  type DeliveryFilter, type DeliveryLogRow, listDeliveries, redeliverByEventIds, type RedeliverByIdResult, redeliverDead,
} from './delivery.repository.js';

export const DELIVERY_STATUSES: readonly EventDeliveryStatus[] = ['pending', 'delivered', 'dead', 'skipped'];
export const MAX_EVENT_IDS = 100;

/** Filters as text, the way both the API and the command line receive them. */
export interface DeliveryQuery {
  readonly appId?: string | undefined;
  /** VideoId or MediaId. */
  readonly mediaId?: string | undefined;
  readonly eventType?: string | undefined;
  /** Comma list of pending, delivered, dead, skipped. */
  readonly status?: string | undefined;
  /** UTC `yyyy-MM-ddTHH:mm:ssZ`, on the event's time. */
  readonly startTime?: string | undefined;
  readonly endTime?: string | undefined;
  readonly eventIds?: readonly string[] | undefined;
}

export function deliveryFilter(q: DeliveryQuery): DeliveryFilter {
  const time = (name: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const ms = parseIsoUtc(v);
    if (ms === undefined) throw invalid(name, 'It must be a UTC time like 2024-05-01T08:00:00Z.');
    return ms;
  };
  let statuses: EventDeliveryStatus[] | undefined;
  if (q.status !== undefined) {
    statuses = [];
    for (const s of q.status.split(',').map((x) => x.trim().toLowerCase()).filter((x) => x !== '')) {
      const known = DELIVERY_STATUSES.find((k) => k === s);
      if (known === undefined) throw invalid('Status', `Unknown status "${s}"; use ${DELIVERY_STATUSES.join(', ')}.`);
      statuses.push(known);
    }
  }
  if (q.eventIds !== undefined && q.eventIds.length > MAX_EVENT_IDS) throw invalid('EventIds', `At most ${MAX_EVENT_IDS} ids at once.`);
  return {
    appId: q.appId, mediaId: q.mediaId, eventType: q.eventType, statuses, eventIds: q.eventIds,
    startMs: time('StartTime', q.startTime), endMs: time('EndTime', q.endTime),
  };
}

export interface DeliveryView {
  EventId: string;
  AppId: string;
  MediaId: string;
  EventType: string;
  Status: EventDeliveryStatus;
  Attempts: number;
  CallbackURL: string;
  LastStatusCode?: number;
  LastError?: string;
  CreationTime: string;
  LastAttemptTime?: string;
  NextAttemptTime?: string;
  DeliveredTime?: string;
  /** The body exactly as it is POSTed. */
  Body?: string;
}

export function deliveryView(r: DeliveryLogRow): DeliveryView {
  const v: DeliveryView = {
    EventId: r.event_id, AppId: r.app_id, MediaId: r.media_id ?? '', EventType: r.event_type, Status: r.status, Attempts: r.attempts,
    CallbackURL: r.target_url ?? r.override_url ?? '', CreationTime: isoSeconds(r.created_at_ms),
  };
  if (r.last_status_code !== null) v.LastStatusCode = r.last_status_code;
  if (r.last_error !== null) v.LastError = r.last_error;
  if (r.last_attempt_at_ms !== null) v.LastAttemptTime = isoSeconds(r.last_attempt_at_ms);
  if (r.status === 'pending') v.NextAttemptTime = isoSeconds(r.next_attempt_at_ms);
  if (r.delivered_at_ms !== null) v.DeliveredTime = isoSeconds(r.delivered_at_ms);
  if (r.body !== null) v.Body = r.body;
  return v;
}

export async function listDeliveryLog(
  store: Store,
  q: DeliveryQuery,
  page: { pageNo: number; pageSize: number; ascending: boolean },
): Promise<{ total: number; deliveries: DeliveryView[] }> {
  const { total, rows } = await listDeliveries(store.db, deliveryFilter(q), {
    offset: (page.pageNo - 1) * page.pageSize, limit: page.pageSize, ascending: page.ascending,
  });
  return { total, deliveries: rows.map(deliveryView) };
}

/**
 * Makes the given events' deliveries pending again, due now, with a fresh retry horizon, whatever
 * they ended as (delivered, dead or skipped); pending ones are left alone. A redelivered event is
 * routed by the app's configuration of now.
 */
export async function redeliverEvents(store: Store, eventIds: readonly string[], nowMs: number): Promise<RedeliverByIdResult> {
  if (eventIds.length > MAX_EVENT_IDS) throw invalid('EventIds', `At most ${MAX_EVENT_IDS} ids at once.`);
  return redeliverByEventIds(store.db, eventIds, nowMs);
}

/** Makes every dead delivery matching the filters pending again; returns how many. */
export async function redeliverAllDead(store: Store, query: Omit<DeliveryQuery, 'status' | 'eventIds'>, nowMs: number): Promise<number> {
  return redeliverDead(store.db, deliveryFilter(query), nowMs);
}
