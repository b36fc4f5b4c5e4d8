// Each test gets its own database: a temp SQLite file, or — when OPENVOD_TEST_DATABASE_URL names a
// Postgres server — a fresh schema on it, dropped afterwards.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type Dialect, isPostgresUrl, openStore, type Store } from '../../src/store/db.js';
import { migrateToLatest } from '../../src/store/migrate.js';

export const testDialect: Dialect = isPostgresUrl(process.env.OPENVOD_TEST_DATABASE_URL) ? 'postgres' : 'sqlite';

export interface TestDatabase {
  dataDir: string;
  /** What a server process under test gets as OPENVOD_DATABASE_URL (undefined on SQLite). */
  databaseUrl: string | undefined;
  cleanup(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), 'openvod-test-'));
  const base = process.env.OPENVOD_TEST_DATABASE_URL;
  if (!isPostgresUrl(base)) {
    return { dataDir, databaseUrl: undefined, cleanup: async () => rmSync(dataDir, { recursive: true, force: true }) };
  }
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const url = new URL(base);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    dataDir,
    databaseUrl: url.toString(),
    async cleanup() {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`drop schema if exists ${schema} cascade`);
      await c.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A migrated store on its own database, closed and dropped by `cleanup`. */
export async function createTestStore(): Promise<{ store: Store; dataDir: string; databaseUrl: string | undefined; cleanup(): Promise<void> }> {
  const tdb = await createTestDatabase();
  const store = openStore({ databaseUrl: tdb.databaseUrl, dataDir: tdb.dataDir });
  await migrateToLatest(store);
  return {
    store,
    dataDir: tdb.dataDir,
    databaseUrl: tdb.databaseUrl,
    async cleanup() {
      await store.close();
      await tdb.cleanup();
    },
  };
}
