import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../db.js';

// Times are epoch milliseconds in bigint columns; JSON lives in text columns so that both
// dialects read it the same way.
export function core(dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('access_keys')
        .addColumn('access_key_id', 'text', (c) => c.primaryKey())
        .addColumn('access_key_secret', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('allowed_actions', 'text')
        .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('is_root', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('signature_nonces')
        .addColumn('access_key_id', 'text', (c) => c.notNull())
        .addColumn('nonce', 'text', (c) => c.notNull())
        .addColumn('expires_at_ms', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('signature_nonces_pk', ['access_key_id', 'nonce'])
        // One B-tree instead of two per insert: this table takes a write on every request.
        .$call((b) => (dialect === 'sqlite' ? b.modifyEnd(sql`without rowid`) : b))
        .execute();
      await db.schema.createIndex('signature_nonces_expiry').on('signature_nonces').column('expires_at_ms').execute();

      await db.schema
        .createTable('settings')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();

      // Category ids look like ApsaraVideo's (seven digits and up).
      if (dialect === 'postgres') {
        await sql`create sequence categories_cate_id_seq start with 1000001`.execute(db);
        await db.schema
          .createTable('categories')
          .addColumn('cate_id', 'bigint', (c) => c.primaryKey().defaultTo(sql`nextval('categories_cate_id_seq')`))
          .addColumn('app_id', 'text', (c) => c.notNull())
          .addColumn('parent_id', 'bigint', (c) => c.notNull())
          .addColumn('level', 'integer', (c) => c.notNull())
          .addColumn('cate_name', 'text', (c) => c.notNull())
          .addColumn('type', 'text', (c) => c.notNull())
          .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
          .execute();
      } else {
        await db.schema
          .createTable('categories')
          .addColumn('cate_id', 'integer', (c) => c.primaryKey().autoIncrement())
          .addColumn('app_id', 'text', (c) => c.notNull())
          .addColumn('parent_id', 'bigint', (c) => c.notNull())
          .addColumn('level', 'integer', (c) => c.notNull())
          .addColumn('cate_name', 'text', (c) => c.notNull())
          .addColumn('type', 'text', (c) => c.notNull())
          .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
          .execute();
        await sql`insert into sqlite_sequence (name, seq) values ('categories', 1000000)`.execute(db);
      }
      await db.schema.createIndex('categories_parent').on('categories').columns(['app_id', 'parent_id', 'created_at_ms']).execute();

      await db.schema
        .createTable('videos')
        .addColumn('video_id', 'text', (c) => c.primaryKey())
        .addColumn('app_id', 'text', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('tags', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('cate_id', 'bigint')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('size', 'bigint')
        .addColumn('duration', 'double precision')
        .addColumn('bitrate', 'double precision')
        .addColumn('fps', 'double precision')
        .addColumn('width', 'integer')
        .addColumn('height', 'integer')
        .addColumn('cover_url', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('snapshots', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('template_group_id', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('storage_location', 'text', (c) => c.notNull())
        .addColumn('storage_key', 'text')
        .addColumn('file_name', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('file_md5', 'text')
        .addColumn('format_name', 'text')
        .addColumn('media_info', 'text')
        .addColumn('user_data', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('reference_id', 'text')
        .addColumn('media_source', 'text', (c) => c.notNull().defaultTo('general'))
        .addColumn('download_switch', 'text', (c) => c.notNull().defaultTo('on'))
        .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
        .addColumn('modified_at_ms', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('videos_reference_id').unique().on('videos').column('reference_id').execute();
      await db.schema.createIndex('videos_created').on('videos').columns(['created_at_ms', 'video_id']).execute();
      await db.schema.createIndex('videos_status_created').on('videos').columns(['status', 'created_at_ms']).execute();
      await db.schema.createIndex('videos_cate').on('videos').columns(['cate_id', 'created_at_ms']).execute();

      // seq orders the events of one media: they are delivered in the order they were written.
      await db.schema
        .createTable('events')
        .addColumn('seq', dialect === 'postgres' ? 'bigserial' : 'integer', (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('event_id', 'text', (c) => c.notNull().unique())
        .addColumn('app_id', 'text', (c) => c.notNull())
        .addColumn('media_id', 'text')
        .addColumn('event_type', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('events_media').on('events').columns(['media_id', 'seq']).execute();

      await db.schema
        .createTable('jobs')
        .addColumn('job_id', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('max_attempts', 'integer', (c) => c.notNull())
        .addColumn('run_at_ms', 'bigint', (c) => c.notNull())
        .addColumn('locked_by', 'text')
        .addColumn('locked_until_ms', 'bigint')
        .addColumn('last_error', 'text')
        .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
        .addColumn('updated_at_ms', 'bigint', (c) => c.notNull())
        .addColumn('finished_at_ms', 'bigint')
        .execute();
      await db.schema.createIndex('jobs_ready').on('jobs').columns(['status', 'run_at_ms']).execute();
      await db.schema.createIndex('jobs_lease').on('jobs').columns(['status', 'locked_until_ms']).execute();
    },
  };
}
