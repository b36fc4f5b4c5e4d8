import type { Insertable, Kysely, Selectable, Transaction, Updateable } from 'kysely';
import type { Database, UrlJobStatus, UrlUploadJobTable } from '../store/schema.js';

export type UrlJobRow = Selectable<UrlUploadJobTable>;
type Db = Kysely<Database> | Transaction<Database>;

export const TERMINAL_STATUSES: readonly UrlJobStatus[] = ['SUCCESS', 'DOWNLOAD_FAIL', 'UPLOAD_FAIL'];

export async function insertUrlJob(db: Db, row: Insertable<UrlUploadJobTable>): Promise<void> {
  await db.insertInto('url_upload_jobs').values(row).execute();
}

export async function findUrlJob(db: Db, jobId: string): Promise<UrlJobRow | undefined> {
  return db.selectFrom('url_upload_jobs').selectAll().where('job_id', '=', jobId).executeTakeFirst();
}

export async function findUrlJobs(db: Db, jobIds: readonly string[]): Promise<UrlJobRow[]> {
  if (jobIds.length === 0) return [];
  return db.selectFrom('url_upload_jobs').selectAll().where('job_id', 'in', jobIds).execute();
}

/** Jobs for the given source URLs, newest first, at most `limit` in all. */
export async function findUrlJobsBySource(db: Db, urls: readonly string[], limit: number): Promise<UrlJobRow[]> {
  if (urls.length === 0) return [];
  return db
    .selectFrom('url_upload_jobs')
    .selectAll()
    .where('source_url', 'in', urls)
    .orderBy('created_at_ms', 'desc')
    .orderBy('job_id')
    .limit(limit)
    .execute();
}

/**
 * Moves a job from one of `from` to a new status (with other changes); false when the job was
 * not in one of those statuses — another process (or a cancel) got there first.
 */
export async function transitionUrlJob(
  db: Db,
  jobId: string,
  from: readonly UrlJobStatus[],
  changes: Updateable<UrlUploadJobTable>,
): Promise<boolean> {
  const r = await db.updateTable('url_upload_jobs').set(changes).where('job_id', '=', jobId).where('status', 'in', from).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function recordProgress(db: Db, jobId: string, progress: { bytes: number; total?: number | undefined; etag?: string | undefined; lastModified?: string | undefined; nowMs: number }): Promise<void> {
  await db
    .updateTable('url_upload_jobs')
    .set({
      bytes_fetched: progress.bytes,
      resume_etag: progress.etag ?? null,
      resume_last_modified: progress.lastModified ?? null,
      resume_total: progress.total ?? null,
      updated_at_ms: progress.nowMs,
    })
    .where('job_id', '=', jobId)
    .where('status', '=', 'DOWNLOADING')
    .execute();
}

/** Non-terminal jobs whose queue entry is dead: their worker died too often. */
export async function findOrphanedUrlJobs(db: Db, limit: number): Promise<UrlJobRow[]> {
  return db
    .selectFrom('url_upload_jobs')
    .innerJoin('jobs', 'jobs.job_id', 'url_upload_jobs.job_id')
    .selectAll('url_upload_jobs')
    .where('url_upload_jobs.status', 'not in', TERMINAL_STATUSES)
    .where('jobs.status', 'in', ['dead', 'cancelled'])
    .limit(limit)
    .execute();
}

export async function findSession(db: Db, sessionId: string): Promise<Selectable<Database['upload_sessions']> | undefined> {
  return db.selectFrom('upload_sessions').selectAll().where('session_id', '=', sessionId).executeTakeFirst();
}

export async function saveSession(db: Db, row: Database['upload_sessions']): Promise<void> {
  await db
    .insertInto('upload_sessions')
    .values(row)
    .onConflict((oc) => oc.column('session_id').doUpdateSet({ request_hash: row.request_hash, response: row.response, created_at_ms: row.created_at_ms }))
    .execute();
}
