import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../db.js';

// SearchMedia (src/search): indexes for its filters and sorts, the trigram indexes behind fuzzy
// Title/Description/Tags, and the state of scroll tokens.
//
// Sorted reads end with a tie-break on video_id, so each (filter column, sort column) index carries
// video_id last; the two-column indexes of 0001 that these extend are dropped.
//
// SQLite: `videos_fts` is an FTS5 table with the trigram tokenizer over videos' own text (external
// content, keyed by videos' rowid), kept in sync by triggers. VACUUM may renumber the rowids of a
// table without an INTEGER PRIMARY KEY, as videos is: run `rebuildVideoSearchIndex` after a VACUUM.
// Queries always re-check the text itself, so a stale entry can never produce a wrong hit.
//
// Postgres: pg_trgm GIN indexes on the ASCII-lowercased text — exactly the expression that
// src/search/video-filter.sql.ts queries, so that the planner can use them. The
// extension is created once per database, in schema `public` (deployments and tests give each
// installation its own schema via search_path), and never dropped. Without the privilege to create
// it the indexes are skipped: search stays correct, fuzzy search scans.
export function search(dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropIndex('videos_status_created').execute();
      await db.schema.dropIndex('videos_cate').execute();
      await db.schema.createIndex('videos_status_created_id').on('videos').columns(['status', 'created_at_ms', 'video_id']).execute();
      await db.schema.createIndex('videos_cate_created_id').on('videos').columns(['cate_id', 'created_at_ms', 'video_id']).execute();
      await db.schema.createIndex('videos_modified_id').on('videos').columns(['modified_at_ms', 'video_id']).execute();

      if (dialect === 'sqlite') await createFts(db);
      else await createTrigramIndexes(db);

      await db.schema
        .createTable('search_scrolls')
        .addColumn('token', 'text', (c) => c.primaryKey())
        .addColumn('search_type', 'text', (c) => c.notNull())
        .addColumn('match', 'text', (c) => c.notNull())
        .addColumn('sort_by', 'text', (c) => c.notNull())
        .addColumn('bound_ms', 'bigint')
        .addColumn('total', 'bigint', (c) => c.notNull())
        .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
        .addColumn('expires_at_ms', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('search_scrolls_expiry').on('search_scrolls').column('expires_at_ms').execute();
      await db.schema
        .createTable('search_scroll_cursors')
        .addColumn('token', 'text', (c) => c.notNull())
        .addColumn('rows_before', 'bigint', (c) => c.notNull())
        .addColumn('sort_value', 'bigint', (c) => c.notNull())
        .addColumn('video_id', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('search_scroll_cursors_pk', ['token', 'rows_before'])
        .execute();
    },
  };
}

async function createFts(db: Kysely<unknown>): Promise<void> {
  await sql`create virtual table videos_fts using fts5(
    title, description, tags, content='videos', content_rowid='rowid', tokenize='trigram')`.execute(db);
  await sql`create trigger videos_fts_insert after insert on videos begin
    insert into videos_fts(rowid, title, description, tags) values (new.rowid, new.title, new.description, new.tags);
  end`.execute(db);
  await sql`create trigger videos_fts_delete after delete on videos begin
    insert into videos_fts(videos_fts, rowid, title, description, tags) values ('delete', old.rowid, old.title, old.description, old.tags);
  end`.execute(db);
  await sql`create trigger videos_fts_update after update of title, description, tags on videos begin
    insert into videos_fts(videos_fts, rowid, title, description, tags) values ('delete', old.rowid, old.title, old.description, old.tags);
    insert into videos_fts(rowid, title, description, tags) values (new.rowid, new.title, new.description, new.tags);
  end`.execute(db);
  await rebuildVideoSearchIndex(db, 'sqlite');
}

/** Rebuilds SQLite's trigram index from the videos table (after a VACUUM); a no-op on Postgres. */
export async function rebuildVideoSearchIndex<DB>(db: Kysely<DB>, dialect: Dialect): Promise<void> {
  if (dialect === 'sqlite') await sql`insert into videos_fts(videos_fts) values ('rebuild')`.execute(db);
}

const pgCode = (err: unknown): string | undefined => (err as { code?: string }).code;

async function createTrigramIndexes(db: Kysely<unknown>): Promise<void> {
  const schema = await ensurePgTrgm(db);
  if (schema === undefined) return;
  const opclass = `${quoteIdent(schema)}.gin_trgm_ops`;
  for (const column of ['title', 'description', 'tags']) {
    const expr = `translate(${column}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')`;
    await sql.raw(`create index videos_${column}_trgm on videos using gin ((${expr}) ${opclass})`).execute(db);
    // LIKE '%…%' is estimated from the expression's histogram only when it has more than 100
    // entries; with the default it falls back to a flat guess, and a LIMIT query may then walk the
    // whole CreationTime index looking for a rare word. A finer histogram lets the planner see
    // rare words (bitmap on the trigram index, then sort) and common ones (walk the sort index).
    await sql.raw(`alter index videos_${column}_trgm alter column 1 set statistics 1000`).execute(db);
  }
}

/**
 * Creates pg_trgm if missing (in `public`), inside a savepoint: two installations migrating at once
 * may both try, and the loser's unique_violation / duplicate_object is retried. Returns the schema
 * holding the extension (an administrator may have put it elsewhere), or undefined when it can't
 * be had here (not installed on the server, or no privilege to create it).
 */
async function ensurePgTrgm(db: Kysely<unknown>): Promise<string | undefined> {
  for (let attempt = 1; ; attempt++) {
    await sql`savepoint openvod_pg_trgm`.execute(db);
    try {
      await sql`create extension if not exists pg_trgm with schema public`.execute(db);
      await sql`release savepoint openvod_pg_trgm`.execute(db);
      break;
    } catch (err) {
      await sql`rollback to savepoint openvod_pg_trgm`.execute(db);
      const code = pgCode(err);
      if ((code === '23505' || code === '42710') && attempt < 5) {
        await new Promise((r) => setTimeout(r, 50 * attempt));
        continue;
      }
      // 42501 insufficient_privilege; 58P01/0A000: the extension isn't installed on the server.
      if (code === '42501' || code === '58P01' || code === '0A000') break;
      throw err;
    }
  }
  const r = await sql<{ nspname: string }>`
    select n.nspname from pg_opclass c
    join pg_namespace n on n.oid = c.opcnamespace
    join pg_am a on a.oid = c.opcmethod
    where c.opcname = 'gin_trgm_ops' and a.amname = 'gin'
    order by n.nspname = 'public' desc
    limit 1`.execute(db);
  return r.rows[0]?.nspname;
}

const quoteIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`;
