// Postgres: signature nonces in the table `signature_nonces` of the metadata database, written
// through a pool of their own (db.ts: noncePool). Many requests' nonces go in one statement
// (auth/signature-nonce.batcher.ts).
import { CompiledQuery, type Kysely } from 'kysely';
import type { NonceClaim, NonceOutcome, NonceStore } from './nonce-store.js';
import type { Database } from './schema.js';

/** The NonceStore on `db`, which is exposed for tests of its sessions. */
export function pgNonceStore(db: Kysely<Database>): NonceStore & { readonly db: Kysely<Database> } {
  return {
    db,
    record: (claims, nowMs, ttlMs) => recordNonces(db, claims, nowMs, ttlMs),
    purgeExpired: (nowMs) => purgeExpiredNonces(db, nowMs),
    catchUp: () => {}, // every claim is answered by the table itself
  };
}

/** Rows per statement: bounds the distinct statement texts (one per size) and the parameters. */
export const MAX_NONCES_PER_STATEMENT = 64;

/**
 * NonceStore.record. The claims must be distinct: a Postgres upsert may not touch one row twice
 * (the batcher refuses repeats before they get here).
 *
 * Each statement is `INSERT … VALUES (…), (…) ON CONFLICT DO UPDATE … WHERE expired RETURNING`:
 * the rows it returns are the fresh claims; a claim it does not return was already in use. One
 * statement is atomic, so two processes racing for one nonce get one `fresh`.
 * Rows go in (access key, nonce) order, so concurrent statements from several processes lock
 * index entries in the same order and cannot deadlock one another on Postgres.
 */
async function recordNonces(db: Kysely<Database>, claims: readonly NonceClaim[], nowMs: number, ttlMs: number): Promise<NonceOutcome[]> {
  const order = claims.map((_, i) => i).sort((a, b) => compareClaims(claims[a] as NonceClaim, claims[b] as NonceClaim));
  const fresh = new Set<number>();
  for (let start = 0; start < order.length; start += MAX_NONCES_PER_STATEMENT) {
    const chunk = order.slice(start, start + MAX_NONCES_PER_STATEMENT);
    const byKey = new Map<string, Map<string, number>>(); // access key → nonce → claim index
    const params: unknown[] = [];
    for (const i of chunk) {
      const c = claims[i] as NonceClaim;
      let nonces = byKey.get(c.accessKeyId);
      if (!nonces) byKey.set(c.accessKeyId, (nonces = new Map()));
      nonces.set(c.nonce, i);
      params.push(c.accessKeyId, c.nonce, nowMs + ttlMs);
    }
    params.push(nowMs);
    const { rows } = await db.executeQuery<{ access_key_id: string; nonce: string }>(CompiledQuery.raw(upsertSql(db, chunk.length), params));
    for (const row of rows) {
      const i = byKey.get(row.access_key_id)?.get(row.nonce);
      if (i !== undefined) fresh.add(i);
    }
  }
  return claims.map((_, i) => (fresh.has(i) ? 'fresh' : 'used'));
}

async function purgeExpiredNonces(db: Kysely<Database>, nowMs: number): Promise<number> {
  const r = await db.deleteFrom('signature_nonces').where('expires_at_ms', '<', nowMs).executeTakeFirst();
  return Number(r.numDeletedRows);
}

const compareClaims = (a: NonceClaim, b: NonceClaim): number =>
  a.accessKeyId < b.accessKeyId ? -1 : a.accessKeyId > b.accessKeyId ? 1 : a.nonce < b.nonce ? -1 : a.nonce > b.nonce ? 1 : 0;

/**
 * The upsert for `rows` claims, compiled by Kysely once per database handle and size (building
 * and compiling it costs more than running it). Parameters: (key, nonce, expiry) per row, then now.
 */
const compiled = new WeakMap<Kysely<Database>, Map<number, string>>();

function upsertSql(db: Kysely<Database>, rows: number): string {
  let bySize = compiled.get(db);
  if (!bySize) compiled.set(db, (bySize = new Map()));
  const hit = bySize.get(rows);
  if (hit !== undefined) return hit;
  // Distinct sample values, so that the check below pins each parameter to its position.
  const sample = Array.from({ length: rows }, (_, i) => ({ access_key_id: `k${i}`, nonce: `n${i}`, expires_at_ms: 2 * i + 1 }));
  const query = db
    .insertInto('signature_nonces')
    .values(sample)
    .onConflict((oc) =>
      oc
        .columns(['access_key_id', 'nonce'])
        .doUpdateSet((eb) => ({ expires_at_ms: eb.ref('excluded.expires_at_ms') }))
        .where('signature_nonces.expires_at_ms', '<', -1),
    )
    .returning(['access_key_id', 'nonce'])
    .compile();
  const expected = [...sample.flatMap((r) => [r.access_key_id, r.nonce, r.expires_at_ms]), -1];
  if (query.parameters.length !== expected.length || query.parameters.some((p, i) => p !== expected[i])) {
    throw new Error('signature nonce upsert: unexpected parameter order from the query compiler');
  }
  bySize.set(rows, query.sql);
  return query.sql;
}
