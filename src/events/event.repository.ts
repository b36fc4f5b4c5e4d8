// The event outbox: every event is inserted in the same transaction as the state change it
// reports, so an event is never lost and never sent for a change that rolled back. Its delivery
// row (src/notify/delivery.repository.ts) is inserted in that same transaction, so no event can
// miss its delivery either; the callback dispatcher (src/notify/dispatcher.ts) works from there.
//
// The media's UserData is read here, in the producer's transaction: `Extend` is echoed in the body
// (when the producer did not set it) and `MessageCallback.CallbackURL` is kept as the delivery's
// override URL — so both survive the media being deleted later.
import type { Kysely, Transaction } from 'kysely';
import { newMediaId } from '../domain/ids.js';
import { isoSeconds } from '../domain/time.js';
import { parseUserData, type UserData } from '../domain/user-data.js';
import { insertDelivery } from '../notify/delivery.repository.js';
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
  /**
   * The media's upload-time UserData. When absent it is read from the `videos` row of `mediaId`
   * in this transaction — so a producer that has already deleted that row must pass it.
   */
  userData?: string | undefined;
}

export async function recordEvent(db: Kysely<Database> | Transaction<Database>, event: NewEvent, nowMs: number): Promise<string> {
  const eventId = newMediaId();
  const userData = parseLeniently(event.userData ?? (await mediaUserData(db, event.mediaId)));
  const body: Record<string, unknown> = { EventId: eventId, EventTime: isoSeconds(nowMs), EventType: event.type, ...event.fields };
  if (userData.extend !== undefined && body.Extend === undefined) body.Extend = userData.extend;
  const inserted = await db
    .insertInto('events')
    .values({ event_id: eventId, app_id: event.appId, media_id: event.mediaId, event_type: event.type, body: JSON.stringify(body), created_at_ms: nowMs })
    .returning('seq')
    .executeTakeFirstOrThrow();
  await insertDelivery(db, {
    seq: Number(inserted.seq), eventId, appId: event.appId, mediaId: event.mediaId, eventType: event.type, overrideUrl: userData.callbackUrl, nowMs,
  });
  return eventId;
}

async function mediaUserData(db: Kysely<Database> | Transaction<Database>, mediaId: string | null): Promise<string> {
  if (mediaId === null) return '';
  const row = await db.selectFrom('videos').select('user_data').where('video_id', '=', mediaId).executeTakeFirst();
  return row?.user_data ?? '';
}

/** UserData was validated when it was stored; a value that no longer parses routes nowhere special. */
function parseLeniently(text: string): UserData {
  try {
    return parseUserData(text);
  } catch {
    return { callbackUrl: undefined, extend: undefined };
  }
}

export async function listEventsForMedia(db: Kysely<Database>, mediaId: string): Promise<Array<{ type: string; body: Record<string, unknown> }>> {
  const rows = await db.selectFrom('events').select(['event_type', 'body']).where('media_id', '=', mediaId).orderBy('seq').execute();
  return rows.map((r) => ({ type: r.event_type, body: JSON.parse(r.body) as Record<string, unknown> }));
}
