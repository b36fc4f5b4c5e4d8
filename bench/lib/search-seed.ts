// Bulk loading of bench/search's videos into an already migrated store, the fast way each
// database offers, as a bulk import would: the trigram search indexes are set aside during the load
// and built once after it, from their own definitions as migrated (so the schema searched is
// exactly the real one); the B-tree indexes are maintained row by row.
// - SQLite: the videos_fts triggers are dropped, rows go through one prepared INSERT, 50,000 per
//   transaction, then the FTS5 index is rebuilt and the triggers re-created as they were;
// - Postgres: the *_trgm GIN indexes are dropped, rows go in by INSERT … SELECT FROM
//   unnest($1::text[], …), 5,000 per statement (one array per column: one round trip a batch), then
//   the indexes are re-created and the table VACUUM ANALYZEd, as autovacuum would.
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { BENCH_COLUMNS, type BenchVideo } from './search-data.js';

export type RowSource = (i: number) => BenchVideo;

export interface SeedProgress {
  (done: number): void;
}

export function seedSqlite(file: string, total: number, row: RowSource, progress: SeedProgress, signal: AbortSignal): void {
  const db = new SqliteDatabase(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 10000');
    // A big page cache for the load: the FTS5 index's segments are rewritten as they merge.
    db.pragma('cache_size = -524288');
    const triggers = db.prepare(`select name, sql from sqlite_master where type = 'trigger' and tbl_name = 'videos' and name like 'videos_fts_%'`).all() as Array<{ name: string; sql: string }>;
    for (const t of triggers) db.exec(`drop trigger ${t.name}`);
    const insert = db.prepare(`insert into videos (${BENCH_COLUMNS.join(', ')}) values (${BENCH_COLUMNS.map((c) => `@${c}`).join(', ')})`);
    const batch = db.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) insert.run(row(i));
    });
    for (let from = 0; from < total && !signal.aborted; from += 50_000) {
      const to = Math.min(total, from + 50_000);
      batch(from, to);
      progress(to);
    }
    db.exec(`insert into videos_fts(videos_fts) values ('rebuild')`);
    for (const t of triggers) db.exec(t.sql);
  } finally {
    db.close();
  }
}

const PG_TYPES: Record<(typeof BENCH_COLUMNS)[number], string> = {
  video_id: 'text', app_id: 'text', title: 'text', description: 'text', tags: 'text', cate_id: 'bigint', status: 'text', size: 'bigint',
  duration: 'double precision', cover_url: 'text', snapshots: 'text', storage_location: 'text', media_source: 'text', created_at_ms: 'bigint',
  modified_at_ms: 'bigint',
};

export async function seedPostgres(databaseUrl: string, total: number, row: RowSource, progress: SeedProgress, signal: AbortSignal): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    // Each index with its definition and its expression's statistics target (set by the migration).
    const trgm = await client.query<{ indexname: string; indexdef: string; target: number | null }>(
      `select i.indexname, i.indexdef, a.attstattarget as target
       from pg_indexes i
       join pg_attribute a on a.attrelid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass and a.attnum = 1
       where i.schemaname = current_schema() and i.tablename = 'videos' and i.indexname like '%\\_trgm'`,
    );
    for (const ix of trgm.rows) await client.query(`drop index ${ix.indexname}`);
    const text = `insert into videos (${BENCH_COLUMNS.join(', ')}) select * from unnest(${BENCH_COLUMNS.map((c, k) => `$${k + 1}::${PG_TYPES[c]}[]`).join(', ')})`;
    for (let from = 0; from < total && !signal.aborted; from += 5000) {
      const to = Math.min(total, from + 5000);
      const columns = BENCH_COLUMNS.map(() => [] as unknown[]);
      for (let i = from; i < to; i++) {
        const v = row(i);
        BENCH_COLUMNS.forEach((c, k) => (columns[k] as unknown[]).push(v[c]));
      }
      await client.query(text, columns);
      progress(to);
    }
    await client.query(`set maintenance_work_mem = '256MB'`);
    for (const ix of trgm.rows) {
      await client.query(ix.indexdef);
      if (ix.target !== null && ix.target >= 0) await client.query(`alter index ${ix.indexname} alter column 1 set statistics ${Number(ix.target)}`);
    }
    if (!signal.aborted) await client.query('vacuum analyze videos');
  } finally {
    await client.end();
  }
}
