// The event outbox: every event is inserted in the same transaction as the state change it
// reports, so an event is never lost and never sent for a change that rolled back. Delivery
// (HTTP callbacks) reads this table; it is built on top of it, not beside it.
import type { Kysely, Transaction } from 'kysely';
import { newMediaId } from '../domain/ids.js';
import { isoSeconds } from '../domain/time.js';
import type { Database } from '../store/schema.js';

export type EventType =
  | 'FileUploadComplete'
  | 'ImageUploadComplete'
  | 'UploadByURLComplete'
  | 'VideoAnalysisComplete'
  | 'SnapshotComplete'
  | 'DeleteMediaComplete'
  | 'MediaBaseChangeComplete';

export interface NewEvent {
  appId: string;
  mediaId: string | null;
  type: EventType;
  /** Fields of the callback body besides EventId, EventTime and EventType. */
  fields: Record<string, unknown>;
}

export async function recordEvent(db: Kysely<Database> | Transaction<Database>, event: NewEvent, nowMs: number): Promise<string> {
  const eventId = newMediaId();
  const body = { EventId: eventId, EventTime: isoSeconds(nowMs), EventType: event.type, ...event.fields };
  await db
    .insertInto('events')
    .values({ event_id: eventId, app_id: event.appId, media_id: event.mediaId, event_type: event.type, body: JSON.stringify(body), created_at_ms: nowMs })
    .execute();
  return eventId;
}

export async function listEventsForMedia(db: Kysely<Database>, mediaId: string): Promise<Array<{ type: string; body: Record<string, unknown> }>> {
  const rows = await db.selectFrom('events').select(['event_type', 'body']).where('media_id', '=', mediaId).orderBy('seq').execute();
  return rows.map((r) => ({ type: r.event_type, body: JSON.parse(r.body) as Record<string, unknown> }));
}
