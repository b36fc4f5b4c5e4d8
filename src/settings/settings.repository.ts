import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';

/**
 * A deployment-wide secret kept in the metadata store, so that every process sharing the
 * database agrees on it. The first process to need it creates it.
 */
export async function ensureSetting(db: Kysely<Database>, name: string, make: () => string): Promise<string> {
  await db.insertInto('settings').values({ name, value: make() }).onConflict((oc) => oc.column('name').doNothing()).execute();
  const row = await db.selectFrom('settings').select('value').where('name', '=', name).executeTakeFirstOrThrow();
  return row.value;
}

export const randomSecret = (): string => randomBytes(24).toString('base64url');
