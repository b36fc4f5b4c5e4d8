import type { Kysely } from 'kysely';

// Uploads through the OSS-compatible endpoint (CreateUploadVideo / CreateUploadImage):
// the temporary credentials, the objects they may write, multipart uploads and their parts
// (each part's bytes are a blob of their own; the rows survive a restart), and image records.
export function uploads() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('upload_credentials')
        .addColumn('access_key_id', 'text', (c) => c.primaryKey())
        .addColumn('access_key_secret', 'text', (c) => c.notNull())
        .addColumn('security_token', 'text', (c) => c.notNull())
        .addColumn('bucket', 'text', (c) => c.notNull())
        .addColumn('object_key', 'text', (c) => c.notNull())
        .addColumn('expires_at_ms', 'bigint', (c) => c.notNull())
        .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('upload_credentials_expiry').on('upload_credentials').column('expires_at_ms').execute();

      await db.schema
        .createTable('upload_objects')
        .addColumn('object_key', 'text', (c) => c.primaryKey())
        .addColumn('bucket', 'text', (c) => c.notNull())
        .addColumn('media_type', 'text', (c) => c.notNull())
        .addColumn('media_id', 'text', (c) => c.notNull())
        .addColumn('app_id', 'text', (c) => c.notNull())
        .addColumn('blob_key', 'text', (c) => c.notNull())
        .addColumn('content_type', 'text', (c) => c.notNull())
        .addColumn('size', 'bigint')
        .addColumn('etag', 'text')
        .addColumn('content_md5', 'text')
        .addColumn('crc64', 'text')
        .addColumn('object_type', 'text')
        .addColumn('stored_at_ms', 'bigint')
        .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('upload_objects_media').on('upload_objects').column('media_id').execute();

      await db.schema
        .createTable('multipart_uploads')
        .addColumn('upload_id', 'text', (c) => c.primaryKey())
        .addColumn('object_key', 'text', (c) => c.notNull())
        .addColumn('bucket', 'text', (c) => c.notNull())
        .addColumn('media_id', 'text', (c) => c.notNull())
        .addColumn('content_type', 'text', (c) => c.notNull())
        .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('multipart_uploads_object').on('multipart_uploads').column('object_key').execute();
      await db.schema.createIndex('multipart_uploads_created').on('multipart_uploads').column('created_at_ms').execute();

      await db.schema
        .createTable('multipart_parts')
        .addColumn('upload_id', 'text', (c) => c.notNull())
        .addColumn('part_number', 'integer', (c) => c.notNull())
        .addColumn('blob_key', 'text', (c) => c.notNull())
        .addColumn('etag', 'text', (c) => c.notNull())
        .addColumn('size', 'bigint', (c) => c.notNull())
        .addColumn('crc64', 'text', (c) => c.notNull())
        .addColumn('updated_at_ms', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('multipart_parts_pk', ['upload_id', 'part_number'])
        .execute();

      await db.schema
        .createTable('images')
        .addColumn('image_id', 'text', (c) => c.primaryKey())
        .addColumn('app_id', 'text', (c) => c.notNull())
        .addColumn('image_type', 'text', (c) => c.notNull())
        .addColumn('image_ext', 'text', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('tags', 'text', (c) => c.notNull())
        .addColumn('cate_id', 'bigint')
        .addColumn('storage_location', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('original_file_name', 'text', (c) => c.notNull())
        .addColumn('blob_key', 'text', (c) => c.notNull())
        .addColumn('object_key', 'text', (c) => c.notNull())
        .addColumn('size', 'bigint')
        .addColumn('file_md5', 'text')
        .addColumn('user_data', 'text', (c) => c.notNull())
        .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
        .addColumn('modified_at_ms', 'bigint', (c) => c.notNull())
        .execute();
    },
  };
}
