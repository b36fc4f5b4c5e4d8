import type { Kysely } from 'kysely';

// A URL job's resumable download also remembers the size the origin declared for the resource.
// A later run (after a crash, or another worker taking over the job) checks the origin's answers
// against it, as the run that heard it would have: a 416 "you already have it all" for fewer
// bytes than were promised is an inconsistent source, not a finished download.
export function resumeTotal() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('url_upload_jobs').addColumn('resume_total', 'bigint').execute();
    },
  };
}
