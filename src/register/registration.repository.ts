import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../store/schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** The media registered for an object of a storage, if any. */
export async function findRegistration(db: Db, location: string, key: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('registered_objects')
    .select('media_id')
    .where('storage_location', '=', location)
    .where('object_key', '=', key)
    .executeTakeFirst();
  return row?.media_id;
}

/**
 * Claims the object for `mediaId`. Resolves false when it is already registered (by another
 * request meanwhile): the primary key decides, so two racing registrations make one media.
 */
export async function claimRegistration(db: Db, row: { location: string; key: string; mediaId: string; nowMs: number }): Promise<boolean> {
  const result = await db
    .insertInto('registered_objects')
    .values({ storage_location: row.location, object_key: row.key, media_id: row.mediaId, created_at_ms: row.nowMs })
    .onConflict((oc) => oc.columns(['storage_location', 'object_key']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

/** Drops the media's registration (on delete); resolves whether it was a registered media. */
export async function unregisterMedia(db: Db, mediaId: string): Promise<boolean> {
  const result = await db.deleteFrom('registered_objects').where('media_id', '=', mediaId).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function isRegisteredMedia(db: Db, mediaId: string): Promise<boolean> {
  const row = await db.selectFrom('registered_objects').select('media_id').where('media_id', '=', mediaId).executeTakeFirst();
  return row !== undefined;
}
