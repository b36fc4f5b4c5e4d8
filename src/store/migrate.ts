import { type Migration, type MigrationProvider, type MigrationResultSet, Migrator, sql } from 'kysely';
import type { Store } from './db.js';
import { core } from './migrations/0001-core.js';
import { urlUploads } from './migrations/0002-url-uploads.js';
import { notify } from './migrations/0003-notify.js';
import { uploads } from './migrations/0004-uploads.js';
import { search } from './migrations/0005-search.js';
import { storages } from './migrations/0006-storages.js';
import { resumeTotal } from './migrations/0007-resume-total.js';

class StaticMigrations implements MigrationProvider {
  constructor(private readonly store: Store) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return {
      '0001-core': core(this.store.dialect),
      '0002-url-uploads': urlUploads(),
      '0003-notify': notify(),
      '0004-uploads': uploads(),
      '0005-search': search(this.store.dialect),
      '0006-storages': storages(),
      '0007-resume-total': resumeTotal(),
    };
  }
}

/** Brings the schema up to date; safe to run from several processes at once (Kysely takes a lock). */
export async function migrateToLatest(store: Store): Promise<void> {
  // Kysely looks for its migration tables in every schema unless told which one: pin it to the
  // connection's own schema so deployments (and test runs) sharing one Postgres never collide.
  const schema =
    store.dialect === 'postgres' ? (await sql<{ s: string }>`select current_schema() as s`.execute(store.db)).rows[0]?.s : undefined;
  const migrator = new Migrator({
    db: store.db,
    provider: new StaticMigrations(store),
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  for (let attempt = 1; ; attempt++) {
    const outcome = await migrator.migrateToLatest();
    if (!outcome.error) return;
    if (attempt < 5 && failedBeforeAnyMigration(outcome)) {
      await new Promise((r) => setTimeout(r, 50 * attempt));
      continue;
    }
    const failed = outcome.results?.find((r) => r.status === 'Error');
    const cause = outcome.error instanceof Error ? outcome.error : new Error(String(outcome.error));
    const code = (cause as { code?: unknown }).code;
    throw new Error(
      `database migration${failed ? ` ${failed.migrationName}` : ''} failed: ${cause.message}${typeof code === 'string' ? ` (${code})` : ''}`,
      { cause },
    );
  }
}

/**
 * Before running any migration, Kysely makes sure its own tables exist, and to know whether they
 * do it lists the tables of every schema, resolving each by name (`has_schema_privilege`,
 * `pg_get_serial_sequence`). A schema or table that someone else drops during that listing —
 * parallel test runs cleaning up, another application sharing the database — fails it (seen:
 * 3F000 no such schema, 42P01 no such relation) although nothing is wrong here. A failure at that
 * stage leaves nothing half done — no migration ran (Kysely then returns no results), and its own
 * tables are created only if missing — so it is tried again a few times, whatever its code; a
 * migration that failed is not.
 */
export function failedBeforeAnyMigration(outcome: MigrationResultSet): boolean {
  return outcome.error !== undefined && outcome.results === undefined;
}
