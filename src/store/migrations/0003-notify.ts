import type { Kysely } from 'kysely';

// Event notifications: the callback configuration of each app, and one delivery row per outbox
// event. A delivery row is inserted in the same transaction as its event (see
// src/events/event.repository.ts), so an event can never miss its delivery.
export function notify() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('message_callbacks')
        .addColumn('app_id', 'text', (c) => c.primaryKey())
        .addColumn('callback_type', 'text', (c) => c.notNull())
        .addColumn('callback_url', 'text', (c) => c.notNull())
        .addColumn('event_types', 'text', (c) => c.notNull())
        .addColumn('auth_switch', 'text', (c) => c.notNull())
        .addColumn('auth_key', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
        .addColumn('updated_at_ms', 'bigint', (c) => c.notNull())
        .execute();

      // `seq` is the event's outbox sequence number: it orders the deliveries of one media.
      await db.schema
        .createTable('event_deliveries')
        .addColumn('seq', 'bigint', (c) => c.primaryKey())
        .addColumn('event_id', 'text', (c) => c.notNull().unique())
        .addColumn('app_id', 'text', (c) => c.notNull())
        .addColumn('media_id', 'text')
        .addColumn('event_type', 'text', (c) => c.notNull())
        .addColumn('override_url', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('scheduled_at_ms', 'bigint', (c) => c.notNull())
        .addColumn('next_attempt_at_ms', 'bigint', (c) => c.notNull())
        .addColumn('locked_by', 'text')
        .addColumn('locked_until_ms', 'bigint')
        .addColumn('target_url', 'text')
        .addColumn('last_status_code', 'integer')
        .addColumn('last_error', 'text')
        .addColumn('last_attempt_at_ms', 'bigint')
        .addColumn('delivered_at_ms', 'bigint')
        .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
        .addColumn('updated_at_ms', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('event_deliveries_due').on('event_deliveries').columns(['status', 'next_attempt_at_ms', 'seq']).execute();
      await db.schema.createIndex('event_deliveries_media').on('event_deliveries').columns(['media_id', 'status', 'seq']).execute();
      await db.schema.createIndex('event_deliveries_created').on('event_deliveries').columns(['created_at_ms', 'seq']).execute();
    },
  };
}
