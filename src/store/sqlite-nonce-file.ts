// SQLite: signature nonces live in `<dataDir>/nonces.sqlite`, shared by every process of the data
// dir like the metadata file.
//
// - An append-only log of batches, with each process's index of it in memory. A batch of claims
//   is one row, `nonce_batches (seq, keys, expires_at_ms)`: the 8-byte keys of its fresh nonces
//   side by side in one blob, all held until the same moment. Each process holds the live keys in
//   a NonceIndex (nonce-index.ts) and answers a claim from it; the fresh ones are appended as one
//   INSERT, its own transaction. Rows are numbered in the order they commit (writers take turns;
//   `seq` is the largest so far plus one), so a claim is fresh exactly when no earlier row holds
//   its key: when the new row's `seq` is the one after the last this process saw, nobody
//   appended in between and the index was complete; otherwise the rows in between (other
//   processes', which came first) are read into the index and the claims one of them holds turn
//   `used`. Where each nonce was a row of a table keyed by the nonce itself, every one landed on
//   a page of its own, written whole to the WAL at each commit: in batches of 10, 11.5 → 1.2 µs a
//   nonce (measured alone); a row a batch instead of a row a nonce, and no transaction around
//   it, took a signed request 1.5 µs less again (bench/rpc, A/B). What the index costs: each
//   process holds the data dir's nonces of the last 30–60 minutes in memory, 32–64 bytes each
//   (100 requests/s ≈ 6–23 MB), and reads the file's rows before its first claim: an API
//   process at start, then every second (`catchUp`), so that a process idle for a while does not
//   read half an hour of other processes' rows before answering; workers and CLI commands, which
//   open the store but claim nothing, never read them.
// - Without fsync (`synchronous = OFF`). Every signed request writes a nonce; with fsync at each
//   WAL checkpoint that write was the largest single cost of a request (~100 µs → ~20 µs a
//   nonce). What is given up: nothing when a process dies (kill -9 leaves the writes with the OS),
//   only after an OS crash or power loss, when the nonces of the last moments may be lost (a
//   request captured then could be replayed until its 15-minute timestamp window closes) or the
//   file damaged. So the file is checked (`quick_check`) when the machine booted since it was
//   last opened (Linux's boot id; where there is none, at every open) and a damaged one is
//   replaced by an empty one: its rows only matter for 30 minutes. The metadata file keeps full
//   durability.
// - Keyed by a 64-bit value, the first 8 bytes of SHA-256(access key, nonce), not by the two
//   strings. A new nonce shares its key with one of the n live ones with a chance of n/2⁶⁴: at a
//   steady 10,000 requests/s (n = 18 million) that happens about once in 57,000 half-hours, three
//   years. A collision refuses one request with SignatureNonceUsed; it never lets a replay through.
//   (Two claims of one batch that collide are both fresh: the claims of a batch are distinct.)
// - On the main thread. A worker thread for these writes was tried: on 2 cores the wake-ups and
//   postMessage cost the main thread more than the statements it moved away (bench/rpc: 116 →
//   134 µs of server CPU a request). The purge of expired rows goes in slices from the head of
//   the log, so a large one never holds up requests for long.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import SqliteDatabase from 'better-sqlite3';
import { hashHex } from '../domain/hash-hex.js';
import { NonceIndex } from './nonce-index.js';
import type { NonceClaim, NonceOutcome, NonceStore } from './nonce-store.js';

export const NONCE_FILE = 'nonces.sqlite';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS nonce_batches (seq INTEGER PRIMARY KEY, keys BLOB NOT NULL, expires_at_ms INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS nonce_file_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);`;

/** A key's bytes in a row's blob: a signed 64-bit big-endian integer, read as two 32-bit halves. */
const KEY_BYTES = 8;
/** Appends a row: the keys' blob and their expiry (claims' batches, and an upgrade's copy). */
const APPEND = 'INSERT INTO nonce_batches (keys, expires_at_ms) VALUES (?, ?)';
/** Above every `seq`: "to the end of the log". */
const END_OF_LOG = (1n << 63n) - 1n;

/**
 * SHA-256 over "<key length>:<key>:<nonce>" in hex: its first 16 digits (8 bytes) are the key.
 * Hex, not a Buffer: a digest returned as a Buffer gets a memory block of its own, which costs
 * three times the hash (0.8 vs 0.28 µs).
 */
const claimDigestHex = (accessKeyId: string, nonce: string): string => hashHex('sha256', `${accessKeyId.length}:${accessKeyId}:${nonce}`);

/** A claim's key as a signed 64-bit integer (as older files stored it, and for tests). */
export function nonceKey(accessKeyId: string, nonce: string): bigint {
  return BigInt.asIntN(64, BigInt(`0x${claimDigestHex(accessKeyId, nonce).slice(0, 2 * KEY_BYTES)}`));
}

/** Rows a purge deletes per statement; it yields to other work between slices. */
const PURGE_SLICE = 5_000;

type BatchRow = [seq: bigint, keys: Buffer, expiresAtMs: bigint];

export class SqliteNonceStore implements NonceStore {
  readonly #sqlite: SqliteDatabase.Database;
  readonly #index = new NonceIndex();
  /** The highest `seq` this process has read or written: every row up to it is in the index. */
  #seen = 0n;
  /** Whether the index has been filled from the file (at the first `catchUp` or claim). */
  #loaded = false;
  readonly #append: SqliteDatabase.Statement<[Buffer, number]>;
  readonly #rowsBetween: SqliteDatabase.Statement<[bigint, bigint], BatchRow>;
  readonly #firstLive: SqliteDatabase.Statement<[number], bigint>;
  readonly #purgeSlice: SqliteDatabase.Statement<[bigint, bigint]>;

  /** Opens (checks, creates, upgrades) the file, a file that cannot be opened fails here; its rows are read later (`catchUp`). */
  constructor(dataDir: string) {
    this.#sqlite = openNonceFile(join(dataDir, NONCE_FILE));
    this.#append = this.#sqlite.prepare<[Buffer, number]>(APPEND);
    this.#rowsBetween = this.#sqlite
      .prepare<[bigint, bigint], BatchRow>('SELECT seq, keys, expires_at_ms FROM nonce_batches WHERE seq > ? AND seq < ? ORDER BY seq')
      .raw(true)
      .safeIntegers(true);
    // Every row before the first live one has expired; the newest row always stays, so `seq`
    // never starts over (INTEGER PRIMARY KEY takes max + 1) under a process that has seen more.
    this.#firstLive = this.#sqlite
      .prepare<[number], bigint>('SELECT coalesce((SELECT seq FROM nonce_batches WHERE expires_at_ms >= ? ORDER BY seq LIMIT 1), (SELECT max(seq) FROM nonce_batches), 0)')
      .pluck()
      .safeIntegers(true);
    this.#purgeSlice = this.#sqlite.prepare<[bigint, bigint]>(
      `DELETE FROM nonce_batches WHERE seq < min(?, (SELECT min(seq) FROM nonce_batches) + ?)`,
    );
  }

  /** Keys in this process's index, live or not yet dropped (for tests and logs). */
  get heldKeys(): number {
    return this.#index.size;
  }

  catchUp(): void {
    if (!this.#sqlite.open) return;
    this.#readRowsBefore(END_OF_LOG, Date.now());
    this.#loaded = true;
  }

  async record(claims: readonly NonceClaim[], nowMs: number, ttlMs: number): Promise<NonceOutcome[]> {
    if (!this.#loaded) this.catchUp();
    const outcomes: NonceOutcome[] = [];
    // The keys of the claims the index does not hold, side by side as the row stores them;
    // `fresh[j]` is the claim whose key is the j-th.
    const keys = Buffer.allocUnsafe(KEY_BYTES * claims.length);
    const fresh: number[] = [];
    for (let i = 0; i < claims.length; i++) {
      const claim = claims[i] as NonceClaim;
      const at = KEY_BYTES * fresh.length;
      keys.write(claimDigestHex(claim.accessKeyId, claim.nonce), at, KEY_BYTES, 'hex');
      const used = this.#holds(keys, at, nowMs);
      outcomes.push(used ? 'used' : 'fresh');
      if (!used) fresh.push(i);
    }
    if (fresh.length === 0) return outcomes;
    const written = keys.subarray(0, KEY_BYTES * fresh.length);
    const expiresAtMs = nowMs + ttlMs;
    const seq = BigInt(this.#append.run(written, expiresAtMs).lastInsertRowid);
    // Committed. Rows appended since this process last looked came first: a claim one of them holds is used.
    if (seq !== this.#seen + 1n) {
      this.#readRowsBefore(seq, nowMs);
      for (let j = 0; j < fresh.length; j++) {
        if (this.#holds(written, KEY_BYTES * j, nowMs)) outcomes[fresh[j] as number] = 'used';
      }
    }
    this.#seen = seq;
    this.#holdAll(written, expiresAtMs, nowMs);
    return outcomes;
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
   * Reads the rows after `#seen` and before `below` (by any process) into the index, expired or
   * not (the index judges expiry against each batch's clock).
   */
  #readRowsBefore(below: bigint, nowMs: number): void {
    for (const [seq, keys, expiresAtMs] of this.#rowsBetween.iterate(this.#seen, below)) {
      this.#holdAll(keys, Number(expiresAtMs), nowMs);
      this.#seen = seq;
    }
  }

  /** Whether the index holds the key at byte `at` of `keys` (a row's blob), live at `nowMs`. */
  #holds(keys: Buffer, at: number, nowMs: number): boolean {
    return this.#index.has(keys.readInt32BE(at), keys.readInt32BE(at + 4), nowMs);
  }

  /** Holds every key of `keys` (a row's blob) until `expiresAtMs`. */
  #holdAll(keys: Buffer, expiresAtMs: number, nowMs: number): void {
    for (let at = 0; at + KEY_BYTES <= keys.length; at += KEY_BYTES) this.#index.add(keys.readInt32BE(at), keys.readInt32BE(at + 4), expiresAtMs, nowMs);
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
 * Files of earlier versions, newest first: `nonce_log (seq, key, expires_at_ms)`, a row a key;
 * before it `nonce_keys (key, expires_at_ms)`; before that `signature_nonces (access_key_id,
 * nonce, expires_at_ms)`. Their live rows move to the batches, so an upgrade forgets no nonce.
 * (Processes of an older version still running on the data dir would not see the new rows: stop
 * them all before starting the new one, as for any upgrade of a shared data dir.)
 */
function upgradeOldTables(sqlite: SqliteDatabase.Database): void {
  const has = (table: string): boolean => sqlite.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(table) !== undefined;
  if (!has('nonce_log') && !has('nonce_keys') && !has('signature_nonces')) return;
  sqlite.transaction(() => {
    const now = Date.now();
    const append = keyAppender(sqlite);
    // Another process may have done it first: each table is looked for again inside the lock.
    // A page at a time (better-sqlite3 runs no statement while another iterates), each page
    // deleted once copied, so the next starts at the table's head.
    const movePages = (table: string, order: string): void => {
      const page = sqlite.prepare<[number], [key: bigint, expiresAtMs: bigint, last: bigint]>(`SELECT key, expires_at_ms, ${order} FROM ${table} WHERE expires_at_ms >= ? ORDER BY ${order} LIMIT 10000`).raw(true).safeIntegers(true);
      const drop = sqlite.prepare<[bigint]>(`DELETE FROM ${table} WHERE ${order} <= ?`);
      for (let rows = page.all(now); rows.length > 0; rows = page.all(now)) {
        for (const [key, expiresAtMs] of rows) append(key, expiresAtMs);
        drop.run((rows[rows.length - 1] as [bigint, bigint, bigint])[2]);
      }
      sqlite.exec(`DROP TABLE ${table}`);
    };
    if (has('nonce_log')) movePages('nonce_log', 'seq');
    if (has('nonce_keys')) movePages('nonce_keys', 'key');
    if (has('signature_nonces')) {
      type Row = { access_key_id: string; nonce: string; expires_at_ms: number };
      const page = sqlite.prepare<[number, string, string], Row>(
        `SELECT access_key_id, nonce, expires_at_ms FROM signature_nonces WHERE expires_at_ms >= ? AND (access_key_id, nonce) > (?, ?)
         ORDER BY access_key_id, nonce LIMIT 10000`,
      );
      for (let rows = page.all(now, '', ''); rows.length > 0; ) {
        for (const r of rows) append(nonceKey(r.access_key_id, r.nonce), BigInt(r.expires_at_ms));
        const last = rows[rows.length - 1] as Row;
        rows = page.all(now, last.access_key_id, last.nonce);
      }
      sqlite.exec('DROP TABLE signature_nonces');
    }
  }).immediate();
}

/** Appends one key at a time as a row of one key (an upgrade's copy; claims go in batches). */
function keyAppender(sqlite: SqliteDatabase.Database): (key: bigint, expiresAtMs: bigint) => void {
  const insert = sqlite.prepare<[Buffer, bigint]>(APPEND);
  const bytes = Buffer.alloc(KEY_BYTES);
  return (key, expiresAtMs) => {
    bytes.writeBigInt64BE(key);
    insert.run(bytes, expiresAtMs);
  };
}
