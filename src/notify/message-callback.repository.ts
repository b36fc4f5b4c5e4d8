// The message_callbacks table: one HTTP callback configuration per app.
import type { Kysely, Transaction } from 'kysely';
import type { Database, MessageCallbackTable } from '../store/schema.js';
import type { MessageCallbackSettings } from './message-callback.rules.js';

type Db = Kysely<Database> | Transaction<Database>;

const toSettings = (r: MessageCallbackTable): MessageCallbackSettings => ({
  appId: r.app_id, callbackType: r.callback_type, callbackUrl: r.callback_url, eventTypes: r.event_types,
  authSwitch: r.auth_switch, authKey: r.auth_key,
});

export async function findMessageCallback(db: Db, appId: string): Promise<MessageCallbackSettings | undefined> {
  const row = await db.selectFrom('message_callbacks').selectAll().where('app_id', '=', appId).executeTakeFirst();
  return row ? toSettings(row) : undefined;
}

/** The configurations of several apps at once (the dispatcher's per-batch read). */
export async function findMessageCallbacks(db: Db, appIds: readonly string[]): Promise<Map<string, MessageCallbackSettings>> {
  if (appIds.length === 0) return new Map();
  const rows = await db.selectFrom('message_callbacks').selectAll().where('app_id', 'in', [...new Set(appIds)]).execute();
  return new Map(rows.map((r) => [r.app_id, toSettings(r)]));
}

export async function saveMessageCallback(db: Db, s: MessageCallbackSettings, nowMs: number): Promise<void> {
  const values = {
    callback_type: s.callbackType, callback_url: s.callbackUrl, event_types: s.eventTypes, auth_switch: s.authSwitch, auth_key: s.authKey,
    updated_at_ms: nowMs,
  } as const;
  await db
    .insertInto('message_callbacks')
    .values({ app_id: s.appId, ...values, created_at_ms: nowMs })
    .onConflict((oc) => oc.column('app_id').doUpdateSet(values))
    .execute();
}

export async function deleteMessageCallback(db: Db, appId: string): Promise<boolean> {
  const r = await db.deleteFrom('message_callbacks').where('app_id', '=', appId).executeTakeFirst();
  return r.numDeletedRows > 0n;
}
