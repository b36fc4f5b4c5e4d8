import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import {
  type Compilable, CompiledQuery, type DatabaseConnection, type Driver, Kysely, PostgresDialect, type PostgresPool, type PostgresPoolClient,
  type PostgresQueryResult, SqliteDialect, type SqliteDatabase as KyselySqliteDatabase, type SqliteDialectConfig, SqliteDriver, type SqliteStatement,
} from 'kysely';
import pg from 'pg';
import type { NonceStore } from './nonce-store.js';
import { pgNonceStore } from './pg-nonce-table.js';
import type { Database } from './schema.js';
import { SqliteNonceStore } from './sqlite-nonce-file.js';

export { NONCE_FILE } from './sqlite-nonce-file.js';

export type Dialect = 'sqlite' | 'postgres';

export interface Store {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  /**
   * Where signature nonces are recorded: the metadata database itself on Postgres
   * (pg-nonce-table.ts); on SQLite a file of its own beside it (sqlite-nonce-file.ts).
   */
  readonly nonces: NonceStore;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** `postgres://…` selects PostgreSQL; anything else (or nothing) is the embedded SQLite file. */
  databaseUrl?: string | undefined;
  dataDir: string;
  /** Connection pool size for Postgres. */
  poolSize?: number;
}

export const isPostgresUrl = (url: string | undefined): url is string =>
  url !== undefined && /^postgres(ql)?:\/\//.test(url);

// int8 and numeric come back as strings from pg by default; our bigints are epoch
// milliseconds and byte sizes, well inside Number's exact range.
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20 || oid === 1700) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

export function openStore(options: StoreOptions): Store {
  let closed = false;
  if (isPostgresUrl(options.databaseUrl)) {
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: options.poolSize ?? 10, types: pgTypes });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: withNamedStatements(pool) }) });
    const nonces = pgNonceStore(new Kysely<Database>({ dialect: new PostgresDialect({ pool: withNamedStatements(noncePool(options.databaseUrl)) }) }));
    return {
      db,
      dialect: 'postgres',
      nonces,
      async close() {
        if (closed) return;
        closed = true;
        await Promise.all([db.destroy(), nonces.db.destroy()]);
      },
    };
  }
  mkdirSync(options.dataDir, { recursive: true });
  const file = join(options.dataDir, 'openvod.sqlite');
  const sqlite = new SqliteDatabase(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 10000');
  sqlite.pragma('foreign_keys = ON');
  let nonces: SqliteNonceStore;
  try {
    nonces = new SqliteNonceStore(options.dataDir);
  } catch (err) {
    sqlite.close();
    throw err;
  }
  const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: withStatementCache(sqlite) }) });
  const reader = new SqliteDatabase(file, { readonly: true });
  reader.pragma('busy_timeout = 10000');
  const reads = new ReadBatches(reader);
  readers.set(db, reads);
  return {
    db,
    dialect: 'sqlite',
    nonces,
    async close() {
      if (closed) return;
      closed = true;
      reads.close();
      await Promise.all([db.destroy(), nonces.close()]);
    },
  };
}

/** Each SQLite store's read-only connection, by its Kysely handle (see preparedQuery). */
const readers = new WeakMap<Kysely<Database>, ReadBatches>();

/**
 * The hot reads of one event-loop turn, run together once its I/O is handled (setImmediate), in
 * one read transaction on the read-only connection. A read of SQLite's WAL takes and drops a
 * shared lock with a system call each (fcntl); in one transaction a turn's reads take it once.
 * They see the database as it was when the batch ran, after every request of the turn had
 * arrived: each read still sees everything committed before it was asked for.
 */
class ReadBatches {
  readonly #statements: KyselySqliteDatabase;
  readonly #begin: SqliteDatabase.Statement;
  readonly #commit: SqliteDatabase.Statement;
  #pending: Array<{ stmt: SqliteStatement; parameters: readonly unknown[]; resolve(rows: unknown[]): void; reject(err: unknown): void }> = [];

  constructor(private readonly sqlite: SqliteDatabase.Database) {
    this.#statements = withStatementCache(sqlite);
    this.#begin = sqlite.prepare('BEGIN');
    this.#commit = sqlite.prepare('COMMIT');
  }

  /** The rows of `sql`, or undefined when it is not a read (it must go through Kysely). */
  read(sql: string, parameters: readonly unknown[]): Promise<unknown[]> | undefined {
    const stmt = this.#statements.prepare(sql);
    if (!stmt.reader) return undefined;
    return new Promise((resolve, reject) => {
      if (this.#pending.push({ stmt, parameters, resolve, reject }) === 1) setImmediate(() => this.#run());
    });
  }

  /** Refuses the reads still queued, and closes the connection. */
  close(): void {
    const batch = this.#pending;
    this.#pending = [];
    for (const r of batch) r.reject(new Error('the store is closed'));
    this.sqlite.close();
  }

  #run(): void {
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return; // closed meanwhile
    // A batch that cannot be one transaction still runs, each read on its own.
    const together = batch.length > 1 && attempt(() => this.#begin.run());
    for (const r of batch) {
      try {
        r.resolve(r.stmt.all(r.parameters) as unknown[]);
      } catch (err) {
        r.reject(err);
      }
    }
    // Ending a read transaction writes nothing; should it fail, the connection drops it.
    if (together && this.sqlite.inTransaction && !attempt(() => this.#commit.run())) attempt(() => this.sqlite.exec('ROLLBACK'));
  }
}

/** Runs `f`; false if it threw. */
function attempt(f: () => unknown): boolean {
  try {
    f();
    return true;
  } catch {
    return false;
  }
}

/**
 * SQLite transactions begin `IMMEDIATE`: the write lock is taken at BEGIN, where SQLite waits for
 * it (busy_timeout). Kysely's plain `BEGIN` is deferred, and a deferred transaction that has read
 * anything before its first write cannot wait for the lock: SQLite answers SQLITE_BUSY at once
 * when another process of the data dir is writing. Such a read can hide in the first write itself
 * — preparing an UPDATE of `videos` connects its FTS5 index, which reads — so two `serve`
 * processes updating videos together failed a request now and then ("database is locked" after
 * 0 ms; src/store/store.test.ts reproduces it). Every transaction here writes.
 */
class ImmediateSqliteDialect extends SqliteDialect {
  constructor(private readonly config: SqliteDialectConfig) {
    super(config);
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.config);
  }
}

class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

/**
 * Postgres: signature nonces are written through a small pool of their own whose sessions commit
 * asynchronously (`synchronous_commit = off`): the commit returns before its WAL is flushed, as
 * the SQLite nonce file is written without fsync, and for the same reason — every signed
 * request writes a nonce, and each waited for a WAL flush (bench/rpc on Postgres: 3,640 → 4,380
 * requests/s without the wait). The table is the same `signature_nonces`, shared by every
 * process. What is given up is the same too: nothing when an OpenVOD process dies; after a crash
 * of the database server or its machine, the nonces of the last moments (at most three
 * `wal_writer_delay`s, 600 ms by default) may be forgotten. Everything else keeps full durability.
 */
function noncePool(databaseUrl: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 4, types: pgTypes });
  // A client runs its queries in order: this comes before the first query of the checkout.
  pool.on('connect', (client) => {
    client.query('SET synchronous_commit = off').catch(() => {});
  });
  return pool;
}

/**
 * Kysely prepares every statement afresh; preparing costs as much as running a small query.
 * Statements are reused by SQL text (a bounded cache), except one that is still being iterated.
 * Rows come back as arrays and are turned into objects by a function made for the statement's
 * columns: better-sqlite3 builds row objects property by property, which cost half of a point
 * read of a 30-column row (measured: 24 µs → 12 µs for a `videos` row).
 */
function withStatementCache(sqlite: SqliteDatabase.Database, max = 500): KyselySqliteDatabase {
  const cache = new Map<string, CachedStatement>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string) {
      const hit = cache.get(sql);
      if (hit && !hit.busy) return hit;
      const stmt = new CachedStatement(sqlite.prepare(sql));
      if (!hit) {
        if (cache.size >= max) cache.delete(cache.keys().next().value as string);
        cache.set(sql, stmt);
      }
      return stmt;
    },
  };
}

type RowBuilder = (values: unknown[]) => Record<string, unknown>;

class CachedStatement implements SqliteStatement {
  readonly reader: boolean;
  private build: { make: RowBuilder; columns: number } | undefined;

  constructor(private readonly stmt: SqliteDatabase.Statement) {
    this.reader = stmt.reader;
    if (this.reader) stmt.raw(true);
  }

  get busy(): boolean {
    return this.stmt.busy;
  }

  all(parameters: ReadonlyArray<unknown>): unknown[] {
    if (!this.reader) return this.stmt.all(...parameters);
    const rows = this.stmt.all(...parameters) as unknown[][];
    return rows.length === 0 ? rows : rows.map(this.builderFor(rows[0] as unknown[]));
  }

  run(parameters: ReadonlyArray<unknown>) {
    return this.stmt.run(...parameters);
  }

  *iterate(parameters: ReadonlyArray<unknown>): IterableIterator<unknown> {
    if (!this.reader) {
      yield* this.stmt.iterate(...parameters);
      return;
    }
    for (const row of this.stmt.iterate(...parameters) as IterableIterator<unknown[]>) yield this.builderFor(row)(row);
  }

  /**
   * The object maker for the statement's columns, made once. SQLite re-prepares a statement when
   * the schema changed under it (a migration by another process), and an added column changes
   * the count: the maker is then made again.
   */
  private builderFor(row: readonly unknown[]): RowBuilder {
    if (this.build === undefined || row.length !== this.build.columns) {
      const names = this.stmt.columns().map((c) => c.name);
      const make = names.includes('__proto__')
        ? (v: unknown[]) => Object.fromEntries(names.map((name, i) => [name, v[i]]))
        : (new Function('v', `return { ${names.map((name, i) => `${JSON.stringify(name)}: v[${i}]`).join(', ')} };`) as RowBuilder);
      this.build = { make, columns: names.length };
    }
    return this.build.make;
  }
}

/**
 * Postgres counterpart of the statement cache: a data statement that takes parameters is sent as
 * a named prepared statement (one name per SQL text, at most `max` names per process), so each
 * connection parses and plans it once instead of on every run. Statements without parameters
 * (DDL, BEGIN/COMMIT) stay unnamed. If a table changed shape under a prepared `SELECT *`
 * (a migration by another process), Postgres refuses the old plan: the text is then run unnamed
 * and gets a new name next time.
 */
function withNamedStatements(pool: pg.Pool, max = 1000): PostgresPool {
  const names = new Map<string, string>();
  let next = 0;
  const nameOf = (sql: string): string | undefined => {
    let name = names.get(sql);
    if (name === undefined && names.size < max && NAMEABLE.test(sql)) {
      name = `openvod_${next++}`;
      names.set(sql, name);
    }
    return name;
  };
  const clients = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  const wrap = (client: pg.PoolClient): PostgresPoolClient => {
    const run = async <R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> => {
      const values = [...parameters];
      const name = values.length > 0 ? nameOf(sql) : undefined;
      if (name === undefined) return (await client.query(sql, values)) as unknown as PostgresQueryResult<R>;
      try {
        return (await client.query({ name, text: sql, values })) as unknown as PostgresQueryResult<R>;
      } catch (err) {
        if ((err as { code?: string }).code !== '0A000' || !/cached plan/.test((err as Error).message)) throw err;
        if (names.get(sql) === name) names.delete(sql);
        return (await client.query(sql, values)) as unknown as PostgresQueryResult<R>;
      }
    };
    return {
      query: ((sqlOrCursor: unknown, parameters?: ReadonlyArray<unknown>) =>
        typeof sqlOrCursor === 'string' ? run(sqlOrCursor, parameters ?? []) : client.query(sqlOrCursor as pg.Submittable)) as PostgresPoolClient['query'],
      release: (destroy?: boolean) => client.release(destroy),
    };
  };
  return {
    async connect() {
      const client = await pool.connect();
      let wrapped = clients.get(client);
      if (!wrapped) clients.set(client, (wrapped = wrap(client)));
      return wrapped;
    },
    end: () => pool.end(),
  };
}

const NAMEABLE = /^\s*(select|insert|update|delete|with)\b/i;

/**
 * A query built and compiled once per database handle, then run with fresh parameter values:
 * for hot paths, where Kysely's building and compiling cost more than running the statement
 * (the SQL text it produces is the same every time, so SQLite also reuses its statement).
 * `build` is called once, with placeholders for the arguments; each argument must end up as a
 * query parameter (a value compared, inserted or set) — never in the SQL text, never as a list.
 *
 *   const findVideoQuery = preparedQuery((db, videoId: string) => selectVideo(db).where('video_id', '=', videoId));
 *   const [row] = await findVideoQuery(db, videoId);
 *
 * On SQLite, a read given the store's own handle (not a transaction) runs on a read-only
 * connection of its own, outside Kysely, with the other such reads of its event-loop turn (see
 * ReadBatches): it sees what is committed, as it would after waiting for the one connection
 * Kysely shares (which a transaction holds across its awaits), and costs the statement alone
 * (GetVideoInfo's read: 8.5 → 5.5 µs, measured alone).
 */
export function preparedQuery<A extends readonly unknown[], R>(
  build: (db: Kysely<Database>, ...args: A) => Compilable<R>,
): (db: Kysely<Database>, ...args: A) => Promise<R[]> {
  const compiled = new WeakMap<Kysely<Database>, { sql: string; slots: ReadonlyArray<{ arg: number } | { value: unknown }> }>();
  // Not async itself: a batched read's promise is handed on as it is (an async function would
  // wrap it in one more, settled a turn later). Whatever throws becomes the promise's rejection.
  const run = (db: Kysely<Database>, args: A): Promise<R[]> => {
    let prepared = compiled.get(db);
    if (prepared === undefined) {
      const marks = args.map((_, i) => `\u0000preparedQuery-argument-${i}\u0000`);
      const query = build(db, ...(marks as unknown as A)).compile();
      const slots = query.parameters.map((p) => {
        const arg = typeof p === 'string' ? marks.indexOf(p) : -1;
        return arg >= 0 ? { arg } : { value: p };
      });
      const used = new Set(slots.flatMap((s) => ('arg' in s ? [s.arg] : [])));
      if (marks.some((m, i) => query.sql.includes(m) || !used.has(i))) {
        throw new Error('preparedQuery: every argument must become a query parameter');
      }
      prepared = { sql: query.sql, slots };
      compiled.set(db, prepared);
    }
    const parameters = prepared.slots.map((s) => ('arg' in s ? args[s.arg] : s.value));
    const batched = readers.get(db)?.read(prepared.sql, parameters);
    if (batched !== undefined) return batched as Promise<R[]>;
    return db.executeQuery(CompiledQuery.raw(prepared.sql, parameters) as CompiledQuery<R>).then((r) => r.rows);
  };
  return (db, ...args) => {
    try {
      return run(db, args);
    } catch (err) {
      return Promise.reject(err);
    }
  };
}
