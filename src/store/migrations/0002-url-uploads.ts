import type { Kysely } from 'kysely';

// URL pull jobs (UploadMediaByURL) and the SessionId de-duplication window.
export function urlUploads() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('url_upload_jobs')
        .addColumn('job_id', 'text', (c) => c.primaryKey())
        .addColumn('app_id', 'text', (c) => c.notNull())
        .addColumn('video_id', 'text', (c) => c.notNull())
        .addColumn('source_url', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('file_extension', 'text', (c) => c.notNull())
        .addColumn('declared_size', 'bigint')
        .addColumn('file_size', 'bigint')
        .addColumn('bytes_fetched', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('md5', 'text')
        .addColumn('final_url', 'text')
        .addColumn('resume_etag', 'text')
        .addColumn('resume_last_modified', 'text')
        .addColumn('cover_url', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('error_code', 'text')
        .addColumn('error_message', 'text')
        .addColumn('user_data', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('session_id', 'text')
        .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
        .addColumn('updated_at_ms', 'bigint', (c) => c.notNull())
        .addColumn('completed_at_ms', 'bigint')
        .execute();
      await db.schema.createIndex('url_upload_jobs_source').on('url_upload_jobs').columns(['source_url', 'created_at_ms']).execute();
      await db.schema.createIndex('url_upload_jobs_status').on('url_upload_jobs').columns(['status', 'updated_at_ms']).execute();
      await db.schema.createIndex('url_upload_jobs_video').on('url_upload_jobs').column('video_id').execute();

      await db.schema
        .createTable('upload_sessions')
        .addColumn('session_id', 'text', (c) => c.primaryKey())
        .addColumn('request_hash', 'text', (c) => c.notNull())
        .addColumn('response', 'text', (c) => c.notNull())
        .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
        .execute();
    },
  };
}
