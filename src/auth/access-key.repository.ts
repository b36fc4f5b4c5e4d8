import type { Kysely } from 'kysely';
import { preparedQuery } from '../store/db.js';
import type { AccessKeyTable, Database } from '../store/schema.js';

export interface AccessKey {
  accessKeyId: string;
  accessKeySecret: string;
  status: 'Active' | 'Inactive';
  /** null = every action. */
  allowedActions: readonly string[] | null;
  description: string;
  isRoot: boolean;
  createdAtMs: number;
}

const toKey = (row: AccessKeyTable): AccessKey => ({
  accessKeyId: row.access_key_id,
  accessKeySecret: row.access_key_secret,
  status: row.status,
  allowedActions: row.allowed_actions === null ? null : (JSON.parse(row.allowed_actions) as string[]),
  description: row.description,
  isRoot: row.is_root === 1,
  createdAtMs: row.created_at_ms,
});

// Read on every signed request whose key is not in the per-process cache: compiled once.
const findAccessKeyQuery = preparedQuery((db, accessKeyId: string) => db.selectFrom('access_keys').selectAll().where('access_key_id', '=', accessKeyId));

export async function findAccessKey(db: Kysely<Database>, accessKeyId: string): Promise<AccessKey | undefined> {
  const [row] = await findAccessKeyQuery(db, accessKeyId);
  return row && toKey(row);
}

export async function findRootKey(db: Kysely<Database>): Promise<AccessKey | undefined> {
  const row = await db.selectFrom('access_keys').selectAll().where('is_root', '=', 1).orderBy('created_at_ms').executeTakeFirst();
  return row && toKey(row);
}

export async function insertAccessKey(db: Kysely<Database>, key: AccessKey): Promise<void> {
  await db
    .insertInto('access_keys')
    .values({
      access_key_id: key.accessKeyId,
      access_key_secret: key.accessKeySecret,
      status: key.status,
      allowed_actions: key.allowedActions === null ? null : JSON.stringify(key.allowedActions),
      description: key.description,
      is_root: key.isRoot ? 1 : 0,
      created_at_ms: key.createdAtMs,
    })
    .onConflict((oc) => oc.column('access_key_id').doUpdateSet({ access_key_secret: key.accessKeySecret, status: key.status, is_root: key.isRoot ? 1 : 0 }))
    .execute();
}

export async function listAccessKeys(db: Kysely<Database>): Promise<AccessKey[]> {
  const rows = await db.selectFrom('access_keys').selectAll().orderBy('created_at_ms').orderBy('access_key_id').execute();
  return rows.map(toKey);
}

export async function setAccessKeyStatus(db: Kysely<Database>, accessKeyId: string, status: AccessKey['status']): Promise<boolean> {
  const r = await db.updateTable('access_keys').set({ status }).where('access_key_id', '=', accessKeyId).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

