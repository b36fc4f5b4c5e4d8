import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { newAccessKeyId, newAccessKeySecret } from '../domain/ids.js';
import type { Database } from '../store/schema.js';
import { type AccessKey, findRootKey, insertAccessKey } from './access-key.repository.js';

export interface RootKeyResult {
  key: AccessKey;
  /** True only when this call generated the key: the caller prints it, once. */
  generated: boolean;
}

const ROOT_KEY_FILE = 'root-access-key.json';

/**
 * The root key comes from the environment when given; otherwise from the data dir; otherwise
 * from the metadata store (another process of the same deployment made it); otherwise it is
 * generated, stored in both places, and reported as generated so it can be printed once.
 */
export async function ensureRootKey(
  db: Kysely<Database>,
  opts: { dataDir: string; accessKeyId: string | undefined; accessKeySecret: string | undefined; nowMs: number },
): Promise<RootKeyResult> {
  const make = (id: string, secret: string): AccessKey => ({
    accessKeyId: id, accessKeySecret: secret, status: 'Active', allowedActions: null, description: 'root', isRoot: true, createdAtMs: opts.nowMs,
  });
  if (opts.accessKeyId !== undefined && opts.accessKeySecret !== undefined) {
    const key = make(opts.accessKeyId, opts.accessKeySecret);
    await insertAccessKey(db, key);
    return { key, generated: false };
  }
  const file = join(opts.dataDir, ROOT_KEY_FILE);
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { AccessKeyId: string; AccessKeySecret: string };
    const key = make(saved.AccessKeyId, saved.AccessKeySecret);
    await insertAccessKey(db, key);
    return { key, generated: false };
  }
  const existing = await findRootKey(db);
  if (existing) return { key: existing, generated: false };
  const key = make(newAccessKeyId(), newAccessKeySecret());
  await insertAccessKey(db, key);
  mkdirSync(opts.dataDir, { recursive: true });
  writeFileSync(file, JSON.stringify({ AccessKeyId: key.accessKeyId, AccessKeySecret: key.accessKeySecret }, null, 2), { mode: 0o600 });
  return { key, generated: true };
}

export async function createAccessKey(
  db: Kysely<Database>,
  opts: { allowedActions: readonly string[] | null; description: string; nowMs: number },
): Promise<AccessKey> {
  const key: AccessKey = {
    accessKeyId: newAccessKeyId(),
    accessKeySecret: newAccessKeySecret(),
    status: 'Active',
    allowedActions: opts.allowedActions,
    description: opts.description,
    isRoot: false,
    createdAtMs: opts.nowMs,
  };
  await insertAccessKey(db, key);
  return key;
}
