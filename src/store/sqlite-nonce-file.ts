// SQLite: signature nonces live in `<dataDir>/nonces.sqlite`, shared by every process of the data
// dir like the metadata file.
//
// - An append-only log, with each process's index of it in memory. A nonce is a row of
//   `nonce_log (seq, key, expires_at_ms)`, appended in `seq` order; each process holds the live
//   keys in a NonceIndex (nonce-index.ts). A batch of claims, in one write transaction (so one
//   process at a time): first the rows other processes appended since this one last looked
//   (`seq` above the last it saw) join its index; then each claim is answered from the index; the
//   fresh ones are appended. Every row of a batch lands on the last page or two of the table,
//   where a table keyed by the nonce itself put each one on a page of its own, written whole to
//   the WAL at each commit: in batches of 10, 11.5 → 1.2 µs a nonce (measured alone). What it
//   costs: each process holds the data dir's nonces of the last 30–60 minutes in memory, 32–64
//   bytes each (100 requests/s ≈ 6–23 MB), and reads the file's rows at start.
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
//   strings. A new nonce shares its key with one of the n live ones with a chance of n/2⁶⁴: at a
//   steady 10,000 requests/s (n = 18 million) that happens about once in 57,000 half-hours, three
//   years. A collision refuses one request with SignatureNonceUsed; it never lets a replay through.
// - On the main thread. A worker thread for these writes was tried: on 2 cores the wake-ups and
//   postMessage cost the main thread more than the statements it moved away (bench/rpc: 116 →
//   134 µs of server CPU a request). The purge of expired rows goes in slices from the head of
//   the log, so a large one never holds up requests for long.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import SqliteDatabase from 'better-sqlite3';
import { hashHex } from '../domain/hash-hex.js';
import { type KeyHalves, NonceIndex } from './nonce-index.js';
import type { NonceClaim, NonceOutcome, NonceStore } from './nonce-store.js';

export const NONCE_FILE = 'nonces.sqlite';

/** Rows per INSERT statement (all of a batch commit together). */
const ROWS_PER_STATEMENT = 64;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS nonce_log (seq INTEGER PRIMARY KEY, key INTEGER NOT NULL, expires_at_ms INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS nonce_file_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);`;

/** A claim's key: the stored 64-bit integer, and its halves for the index. */
interface ClaimKey extends KeyHalves {
  readonly stored: bigint;
}

/**
 * SHA-256 over "<key length>:<key>:<nonce>" in hex: its first 16 digits (8 bytes) are the key.
 * Hex, not a Buffer: a digest returned as a Buffer gets a memory block of its own, which costs
 * three times the hash (0.8 vs 0.28 µs).
 */
const claimDigestHex = (accessKeyId: string, nonce: string): string => hashHex('sha256', `${accessKeyId.length}:${accessKeyId}:${nonce}`);

/** The row key of a claim: the digest's first 8 bytes as a signed 64-bit integer. */
export function nonceKey(accessKeyId: string, nonce: string): bigint {
  return BigInt.asIntN(64, BigInt(`0x${claimDigestHex(accessKeyId, nonce).slice(0, 16)}`));
}

function claimKey(accessKeyId: string, nonce: string): ClaimKey {
  const hex = claimDigestHex(accessKeyId, nonce);
  const hi = Number.parseInt(hex.slice(0, 8), 16) | 0;
  const lo = Number.parseInt(hex.slice(8, 16), 16) | 0;
  return { stored: (BigInt(hi) << 32n) | BigInt(lo >>> 0), hi, lo };
}

const halvesOf = (stored: bigint): KeyHalves => ({ hi: Number(BigInt.asIntN(32, stored >> 32n)), lo: Number(BigInt.asIntN(32, stored)) });

/** Rows a purge deletes per statement; it yields to other work between slices. */
const PURGE_SLICE = 5_000;

type LogRow = [seq: bigint, key: bigint, expiresAtMs: bigint];

interface Written {
  outcomes: NonceOutcome[];
  fresh: ClaimKey[];
  seen: bigint;
}

export class SqliteNonceStore implements NonceStore {
  readonly #sqlite: SqliteDatabase.Database;
  readonly #index = new NonceIndex();
  /** The highest `seq` this process has read or written: every row up to it is in the index. */
  #seen = 0n;
  readonly #inserts = new Map<number, SqliteDatabase.Statement<unknown[]>>();
  readonly #tail: SqliteDatabase.Statement<[bigint], LogRow>;
  readonly #firstLive: SqliteDatabase.Statement<[number], bigint>;
  readonly #purgeSlice: SqliteDatabase.Statement<[bigint, bigint]>;
  readonly #write: (keys: ClaimKey[], nowMs: number, expiresAtMs: number) => Written;

  /** Opens (checks, creates, upgrades) the file and reads its live nonces: a file that cannot be opened fails here. */
  constructor(dataDir: string) {
    this.#sqlite = openNonceFile(join(dataDir, NONCE_FILE));
    this.#tail = this.#sqlite.prepare<[bigint], LogRow>('SELECT seq, key, expires_at_ms FROM nonce_log WHERE seq > ? ORDER BY seq').raw(true).safeIntegers(true);
    // Every row before the first live one has expired; the newest row always stays, so `seq`
    // never starts over (INTEGER PRIMARY KEY takes max + 1) under a process that has seen more.
    this.#firstLive = this.#sqlite
      .prepare<[number], bigint>('SELECT coalesce((SELECT seq FROM nonce_log WHERE expires_at_ms >= ? ORDER BY seq LIMIT 1), (SELECT max(seq) FROM nonce_log), 0)')
      .pluck()
      .safeIntegers(true);
    this.#purgeSlice = this.#sqlite.prepare<[bigint, bigint]>(
      `DELETE FROM nonce_log WHERE seq < min(?, (SELECT min(seq) FROM nonce_log) + ?)`,
    );
    this.#write = this.#sqlite.transaction((keys: ClaimKey[], nowMs: number, expiresAtMs: number): Written => {
      let seen = this.#catchUp(nowMs);
      const outcomes: NonceOutcome[] = [];
      const fresh: ClaimKey[] = [];
      // Two claims of one batch with the same key: the first is fresh, the other used.
      const batch = keys.length > 1 ? new Set<bigint>() : undefined;
      for (const k of keys) {
        const used = this.#index.has(k, nowMs) || (batch?.has(k.stored) ?? false);
        outcomes.push(used ? 'used' : 'fresh');
        if (used) continue;
        fresh.push(k);
        batch?.add(k.stored);
      }
      for (let start = 0; start < fresh.length; start += ROWS_PER_STATEMENT) {
        const chunk = fresh.slice(start, start + ROWS_PER_STATEMENT);
        const params: unknown[] = [];
        for (const k of chunk) params.push(k.stored, expiresAtMs);
        seen = BigInt(this.#insert(chunk.length).run(...params).lastInsertRowid);
      }
      return { outcomes, fresh, seen };
    }).immediate;
    this.#catchUp(Date.now());
  }

  async record(claims: readonly NonceClaim[], nowMs: number, ttlMs: number): Promise<NonceOutcome[]> {
    if (claims.length === 0) return [];
    const expiresAtMs = nowMs + ttlMs;
    const written = this.#write(claims.map((c) => claimKey(c.accessKeyId, c.nonce)), nowMs, expiresAtMs);
    // Committed: only now do this batch's rows count as seen and its keys as held.
    this.#seen = written.seen;
    for (const k of written.fresh) this.#index.add(k, expiresAtMs, nowMs);
    return written.outcomes;
  }

  async purgeExpired(nowMs: number): Promise<number> {
    let deleted = 0;
    if (!this.#sqlite.open) return 0;
    // Found once: every row before it has expired (rows expiring meanwhile wait for the next purge).
    const below = this.#firstLive.get(nowMs) ?? 0n;
    // A store closed between slices ends the purge quietly; the next one continues.
    while (this.#sqlite.open) {
      const { changes } = this.#purgeSlice.run(below, BigInt(PURGE_SLICE));
      deleted += changes;
      if (changes < PURGE_SLICE) break;
      await nextTurn();
    }
    return deleted;
  }

  close(): void {
    if (this.#sqlite.open) this.#sqlite.close();
  }

  /**
   * Reads the rows appended since `#seen` (by any process) into the index, expired or not (the
   * index judges expiry against each batch's clock); returns the highest seq read.
   */
  #catchUp(nowMs: number): bigint {
    let seen = this.#seen;
    for (const [seq, key, expiresAtMs] of this.#tail.iterate(seen)) {
      this.#index.add(halvesOf(key), Number(expiresAtMs), nowMs);
      seen = seq;
    }
    if (seen > this.#seen) this.#seen = seen;
    return seen;
  }

  /** `INSERT INTO nonce_log` of `rows` rows. */
  #insert(rows: number): SqliteDatabase.Statement<unknown[]> {
    let s = this.#inserts.get(rows);
    if (s === undefined) {
      s = this.#sqlite.prepare(`INSERT INTO nonce_log (key, expires_at_ms) VALUES ${Array<string>(rows).fill('(?, ?)').join(', ')}`);
      this.#inserts.set(rows, s);
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
    upgradeOldTables(sqlite);
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
    // A many-row statement keeps the pages it changes in a statement journal (to undo itself
    // alone), which SQLite spills past 64 KiB to a temporary file, by default on disk (/var/tmp):
    // with a table keyed by the nonce, 83 % of batches of 13 did on a file of 200,000 nonces. The
    // log's appends change a page or two, but an upgrade's copy or a large batch may change more;
    // nothing here sorts or builds anything larger than one statement's pages.
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
 * Files of earlier versions: `nonce_keys (key, expires_at_ms)`, one row a key, and before it
 * `signature_nonces (access_key_id, nonce, expires_at_ms)`. Their live rows move to the log, so
 * an upgrade forgets no nonce.
 */
function upgradeOldTables(sqlite: SqliteDatabase.Database): void {
  const has = (table: string): boolean => sqlite.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(table) !== undefined;
  if (!has('nonce_keys') && !has('signature_nonces')) return;
  sqlite.transaction(() => {
    const now = Date.now();
    // Another process may have done it first: each table is looked for again inside the lock.
    if (has('nonce_keys')) {
      sqlite.prepare('INSERT INTO nonce_log (key, expires_at_ms) SELECT key, expires_at_ms FROM nonce_keys WHERE expires_at_ms >= ? ORDER BY expires_at_ms').run(now);
      sqlite.exec('DROP TABLE nonce_keys');
    }
    if (has('signature_nonces')) {
      const insert = sqlite.prepare('INSERT INTO nonce_log (key, expires_at_ms) VALUES (?, ?)');
      type Row = { access_key_id: string; nonce: string; expires_at_ms: number };
      const page = sqlite.prepare<[number, string, string], Row>(
        `SELECT access_key_id, nonce, expires_at_ms FROM signature_nonces WHERE expires_at_ms >= ? AND (access_key_id, nonce) > (?, ?)
         ORDER BY access_key_id, nonce LIMIT 10000`,
      );
      for (let rows = page.all(now, '', ''); rows.length > 0; ) {
        for (const r of rows) insert.run(nonceKey(r.access_key_id, r.nonce), r.expires_at_ms);
        const last = rows[rows.length - 1] as Row;
        rows = page.all(now, last.access_key_id, last.nonce);
      }
      sqlite.exec('DROP TABLE signature_nonces');
    }
  }).immediate();
}
