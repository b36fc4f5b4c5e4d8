// Rows of the upload endpoint: credentials, upload objects, multipart uploads and parts, images.
import type { Kysely, Selectable, Transaction } from 'kysely';
import type {
  Database, ImageTable, MultipartPartTable, MultipartUploadTable, UploadCredentialTable, UploadObjectTable,
} from '../store/schema.js';

type Db = Kysely<Database> | Transaction<Database>;
export type UploadObjectRow = Selectable<UploadObjectTable>;
export type MultipartUploadRow = Selectable<MultipartUploadTable>;
export type PartRow = Selectable<MultipartPartTable>;
export type CredentialRow = Selectable<UploadCredentialTable>;
export type ImageRow = Selectable<ImageTable>;

export async function insertCredential(db: Db, row: UploadCredentialTable): Promise<void> {
  await db.insertInto('upload_credentials').values(row).execute();
}

export async function findCredential(db: Db, accessKeyId: string): Promise<CredentialRow | undefined> {
  return db.selectFrom('upload_credentials').selectAll().where('access_key_id', '=', accessKeyId).executeTakeFirst();
}

/** Removes credentials that expired more than `graceMs` ago; resolves with how many. */
export async function purgeExpiredCredentials(db: Db, nowMs: number, graceMs: number): Promise<number> {
  const r = await db.deleteFrom('upload_credentials').where('expires_at_ms', '<', nowMs - graceMs).executeTakeFirst();
  return Number(r.numDeletedRows);
}

export async function insertUploadObject(db: Db, row: UploadObjectTable): Promise<void> {
  await db.insertInto('upload_objects').values(row).execute();
}

export async function findUploadObject(db: Db, objectKey: string): Promise<UploadObjectRow | undefined> {
  return db.selectFrom('upload_objects').selectAll().where('object_key', '=', objectKey).executeTakeFirst();
}

export async function findUploadObjectOfMedia(db: Db, mediaId: string): Promise<UploadObjectRow | undefined> {
  return db.selectFrom('upload_objects').selectAll().where('media_id', '=', mediaId).orderBy('created_at_ms', 'desc').executeTakeFirst();
}

export async function recordStoredObject(
  db: Db,
  objectKey: string,
  stored: Pick<UploadObjectTable, 'size' | 'etag' | 'content_md5' | 'crc64' | 'object_type' | 'stored_at_ms' | 'content_type'>,
): Promise<void> {
  await db.updateTable('upload_objects').set(stored).where('object_key', '=', objectKey).execute();
}

export async function insertMultipartUpload(db: Db, row: MultipartUploadTable): Promise<void> {
  await db.insertInto('multipart_uploads').values(row).execute();
}

export async function findMultipartUpload(db: Db, uploadId: string): Promise<MultipartUploadRow | undefined> {
  return db.selectFrom('multipart_uploads').selectAll().where('upload_id', '=', uploadId).executeTakeFirst();
}

export async function deleteMultipartUpload(db: Db, uploadId: string): Promise<boolean> {
  await db.deleteFrom('multipart_parts').where('upload_id', '=', uploadId).execute();
  const r = await db.deleteFrom('multipart_uploads').where('upload_id', '=', uploadId).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export async function findStaleMultipartUploads(db: Db, createdBeforeMs: number, limit: number): Promise<MultipartUploadRow[]> {
  return db.selectFrom('multipart_uploads').selectAll().where('created_at_ms', '<', createdBeforeMs).orderBy('created_at_ms').limit(limit).execute();
}

export async function findPart(db: Db, uploadId: string, partNumber: number): Promise<PartRow | undefined> {
  return db.selectFrom('multipart_parts').selectAll().where('upload_id', '=', uploadId).where('part_number', '=', partNumber).executeTakeFirst();
}

/** Inserts or replaces a part (a re-upload of the same number overwrites it, as OSS does). */
export async function upsertPart(db: Db, row: MultipartPartTable): Promise<void> {
  await db
    .insertInto('multipart_parts')
    .values(row)
    .onConflict((oc) => oc.columns(['upload_id', 'part_number']).doUpdateSet({
      blob_key: row.blob_key, etag: row.etag, size: row.size, crc64: row.crc64, updated_at_ms: row.updated_at_ms,
    }))
    .execute();
}

export async function listParts(db: Db, uploadId: string, opts: { afterPartNumber?: number; limit?: number } = {}): Promise<PartRow[]> {
  let q = db.selectFrom('multipart_parts').selectAll().where('upload_id', '=', uploadId).orderBy('part_number');
  if (opts.afterPartNumber !== undefined) q = q.where('part_number', '>', opts.afterPartNumber);
  if (opts.limit !== undefined) q = q.limit(opts.limit);
  return q.execute();
}

export async function insertImage(db: Db, row: ImageTable): Promise<void> {
  await db.insertInto('images').values(row).execute();
}

export async function findImage(db: Db, imageId: string): Promise<ImageRow | undefined> {
  return db.selectFrom('images').selectAll().where('image_id', '=', imageId).executeTakeFirst();
}
