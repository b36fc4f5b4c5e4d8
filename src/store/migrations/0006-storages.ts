import { type Kysely, sql } from 'kysely';

// Storages (src/storage) and RegisterMedia:
// - a URL job remembers the storage its source goes to, so files it leaves can be found even
//   after its video is gone;
// - `registered_objects` maps an object of a declared storage to the media registered for it:
//   its primary key makes registering the same object twice return the same media (also when
//   two requests race), and its presence marks a source OpenVOD must never delete.
export function storages() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .alterTable('url_upload_jobs')
        .addColumn('storage_location', 'text', (c) => c.notNull().defaultTo(sql.lit('openvod-default')))
        .execute();
      await db.schema
        .createTable('registered_objects')
        .addColumn('storage_location', 'text', (c) => c.notNull())
        .addColumn('object_key', 'text', (c) => c.notNull())
        .addColumn('media_id', 'text', (c) => c.notNull())
        .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('registered_objects_pk', ['storage_location', 'object_key'])
        .execute();
      await db.schema.createIndex('registered_objects_media').on('registered_objects').column('media_id').execute();
    },
  };
}
