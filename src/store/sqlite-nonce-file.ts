// SQLite: signature nonces live in `<dataDir>/nonces.sqlite`, shared by every process of the data
// dir like the metadata file.
//
// - Without fsync (`synchronous = OFF`). Every signed request writes a nonce; with fsync at each
//   WAL checkpoint that write was the largest single cost of a request (~100 µs → ~20 µs a
//   nonce). What is given up: nothing when a process dies (kill -9 leaves the writes with the OS),
//   only after an OS crash or power loss, when the nonces of the last moments may be lost (a
//   request captured then could be replayed until its 15-minute timestamp window closes) or the
//   file damaged. So the file is checked (`quick_check`) when the machine booted since it was
//   last opened (Linux's boot id; where there is none, at every open) and a damaged one is
//   replaced by an empty one: its rows only matter for 30 minutes. The metadata file keeps full
//   durability.
// - Keyed by a 64-bit integer, the first 8 bytes of SHA-256(access key, nonce), not by the two
//   strings: random keys dirty one B-tree page each whatever their size, but integer keys make
//   the table several times smaller and comparisons cheaper (record() in batches of 13: 25 → 20
//   µs a nonce, medians of 8 alternating runs). A new nonce shares its key with one of the n live
//   ones with a chance of n/2⁶⁴: at a steady 10,000 requests/s (n = 18 million) that happens
//   about once in 57,000 half-hours, three years. A collision refuses one request with SignatureNonceUsed; it never
//   lets a replay through.
// - On the main thread. A worker thread for these writes was tried: on 2 cores the wake-ups and
//   postMessage cost the main thread more than the statements it moved away (bench/rpc: 116 →
//   134 µs of server CPU a request). The purge of expired rows goes in slices, so a large one
//   never holds up requests for long.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import SqliteDatabase from 'better-sqlite3';
import { hashHex } from '../domain/hash-hex.js';
import type { NonceClaim, NonceOutcome, NonceStore } from './nonce-store.js';

export const NONCE_FILE = 'nonces.sqlite';

/** Claims per statement (all of a batch commit together). */
const ROWS_PER_STATEMENT = 64;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS nonce_keys (key INTEGER PRIMARY KEY, expires_at_ms INTEGER NOT NULL);
  CREATE INDEX IF NOT EXISTS nonce_keys_expiry ON nonce_keys (expires_at_ms);
  CREATE TABLE IF NOT EXISTS nonce_file_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);`;

/** The row key of a claim. */
export function nonceKey(accessKeyId: string, nonce: string): bigint {
  return BigInt.asIntN(64, BigInt(`0x${hashHex('sha256', `${accessKeyId.length}:${accessKeyId}:${nonce}`).slice(0, 16)}`));
}

/** Rows a purge deletes per statement; it yields to other work between slices. */
const PURGE_SLICE = 5_000;

export class SqliteNonceStore implements NonceStore {
  readonly #sqlite: SqliteDatabase.Database;
  readonly #upserts = new Map<number, SqliteDatabase.Statement<unknown[], [bigint]>>();
  readonly #purgeSlice: SqliteDatabase.Statement<[number]>;
  readonly #record: (keys: bigint[], expiresAtMs: number, nowMs: number) => Set<bigint>;

  /** Opens (checks, creates, upgrades) the file: a file that cannot be opened fails here. */
  constructor(dataDir: string) {
    this.#sqlite = openNonceFile(join(dataDir, NONCE_FILE));
    this.#purgeSlice = this.#sqlite.prepare(
      `DELETE FROM nonce_keys WHERE key IN (SELECT key FROM nonce_keys WHERE expires_at_ms < ? ORDER BY expires_at_ms LIMIT ${PURGE_SLICE})`,
    );
    this.#record = this.#sqlite.transaction((keys: bigint[], expiresAtMs: number, nowMs: number) => {
      const taken = new Set<bigint>();
      for (let start = 0; start < keys.length; start += ROWS_PER_STATEMENT) {
        const chunk = keys.slice(start, start + ROWS_PER_STATEMENT);
        const params: unknown[] = [];
        for (const k of chunk) params.push(k, expiresAtMs);
        params.push(nowMs);
        for (const [k] of this.#upsert(chunk.length).all(...params)) taken.add(k);
      }
      return taken;
    }).immediate;
  }

  async record(claims: readonly NonceClaim[], nowMs: number, ttlMs: number): Promise<NonceOutcome[]> {
    if (claims.length === 0) return [];
    const keys = claims.map((c) => nonceKey(c.accessKeyId, c.nonce));
    const taken = this.#record(keys, nowMs + ttlMs, nowMs);
    // Two claims of one batch with the same key: the first is fresh, the other used.
    return keys.map((k) => (taken.delete(k) ? 'fresh' : 'used'));
  }

  async purgeExpired(nowMs: number): Promise<number> {
    let deleted = 0;
    // A store closed between slices ends the purge quietly; the next one continues.
    while (this.#sqlite.open) {
      const { changes } = this.#purgeSlice.run(nowMs);
      deleted += changes;
      if (changes < PURGE_SLICE) break;
      await nextTurn();
    }
    return deleted;
  }

  close(): void {
    if (this.#sqlite.open) this.#sqlite.close();
  }

  /** `INSERT … ON CONFLICT DO UPDATE … WHERE expired RETURNING key` for `rows` claims: the keys returned are the fresh ones. */
  #upsert(rows: number): SqliteDatabase.Statement<unknown[], [bigint]> {
    let s = this.#upserts.get(rows);
    if (s === undefined) {
      s = this.#sqlite
        .prepare<unknown[], [bigint]>(
          `INSERT INTO nonce_keys (key, expires_at_ms) VALUES ${Array<string>(rows).fill('(?, ?)').join(', ')}
           ON CONFLICT (key) DO UPDATE SET expires_at_ms = excluded.expires_at_ms WHERE nonce_keys.expires_at_ms < ? RETURNING key`,
        )
        .raw(true)
        .safeIntegers(true);
      this.#upserts.set(rows, s);
    }
    return s;
  }
}

/** Opens the nonce file (replacing a damaged one by an empty one) and creates and upgrades its tables. */
function openNonceFile(file: string): SqliteDatabase.Database {
  let sqlite: SqliteDatabase.Database;
  try {
    sqlite = openChecked(file);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (!(err instanceof DamagedNonceFile) && code !== 'SQLITE_CORRUPT' && code !== 'SQLITE_NOTADB') throw err;
    for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
    sqlite = openChecked(file);
  }
  try {
    upgradeStringKeys(sqlite);
    return sqlite;
  } catch (err) {
    sqlite.close();
    throw err;
  }
}

class DamagedNonceFile extends Error {}

/** This boot of the machine (Linux); undefined elsewhere. */
function bootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

function openChecked(file: string): SqliteDatabase.Database {
  const sqlite = new SqliteDatabase(file);
  try {
    sqlite.pragma('busy_timeout = 10000');
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = OFF');
    // A many-row upsert keeps the pages it changes in a statement journal (to undo itself alone).
    // Past 64 KiB — a dozen random keys and their index entries — SQLite spills that journal to
    // a temporary file, which by default is on disk: on a file of 200,000 nonces, 83 % of batches
    // of 13 opened, wrote and unlinked a file in /var/tmp (20 → 13 µs a nonce with the journal in
    // memory). A journal holds at most the pages of one statement of ROWS_PER_STATEMENT keys, and
    // nothing here sorts or builds anything larger.
    sqlite.pragma('temp_store = MEMORY');
    sqlite.exec(SCHEMA);
    const boot = bootId();
    const checkedBoot = sqlite.prepare<[], { value: string }>(`SELECT value FROM nonce_file_meta WHERE name = 'checked_boot_id'`).get()?.value;
    if (boot === undefined || boot !== checkedBoot) {
      if (sqlite.pragma('quick_check', { simple: true }) !== 'ok') throw new DamagedNonceFile(file);
      if (boot !== undefined) sqlite.prepare(`INSERT OR REPLACE INTO nonce_file_meta (name, value) VALUES ('checked_boot_id', ?)`).run(boot);
    }
    return sqlite;
  } catch (err) {
    sqlite.close();
    throw err;
  }
}

/**
 * Files written before the integer keys held `signature_nonces (access_key_id, nonce,
 * expires_at_ms)`: their live rows move to `nonce_keys`, so an upgrade forgets no nonce.
 */
function upgradeStringKeys(sqlite: SqliteDatabase.Database): void {
  const hasOld = (): boolean => sqlite.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'signature_nonces'`).get() !== undefined;
  if (!hasOld()) return;
  sqlite.transaction(() => {
    if (!hasOld()) return; // another process did it first
    const insert = sqlite.prepare(
      `INSERT INTO nonce_keys (key, expires_at_ms) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET expires_at_ms = max(expires_at_ms, excluded.expires_at_ms)`,
    );
    type Row = { access_key_id: string; nonce: string; expires_at_ms: number };
    const page = sqlite.prepare<[number, string, string], Row>(
      `SELECT access_key_id, nonce, expires_at_ms FROM signature_nonces WHERE expires_at_ms >= ? AND (access_key_id, nonce) > (?, ?)
       ORDER BY access_key_id, nonce LIMIT 10000`,
    );
    const now = Date.now();
    for (let rows = page.all(now, '', ''); rows.length > 0; ) {
      for (const r of rows) insert.run(nonceKey(r.access_key_id, r.nonce), r.expires_at_ms);
      const last = rows[rows.length - 1] as Row;
      rows = page.all(now, last.access_key_id, last.nonce);
    }
    sqlite.exec('DROP TABLE signature_nonces');
  }).immediate();
}
