// The migration ledger: a local SQLite file (better-sqlite3, WAL), one row per source item. It is
// the migrator's memory across runs: what was listed, what was sent where, what came of it.
// Writes are synchronous, so a transition is on disk before the next await — which is what lets
// the runner record an intent before calling the target and the SDK's VideoId the moment it
// arrives.
import { hostname } from 'node:os';
import Database from 'better-sqlite3';
import type { SourceItem } from '../source.js';
import { LedgerBusyError, MigrateUsageError } from '../migrate.errors.js';
import { LEDGER_SCHEMA_VERSION, MIGRATIONS } from './ledger.schema.js';
import { ITEM_STATES, type BatchRow, type ItemMetadata, type ItemPatch, type ItemRow, type ItemState, type StateCounts } from './ledger.types.js';

export interface OpenLedgerOptions {
  /** Open an existing ledger for reading only (status, export, dry run). */
  readonly readonly?: boolean;
  /** Hold the ledger for a run: refuse if another live migrator holds it. */
  readonly lock?: boolean;
  /** Checks whether a pid is alive (injectable for tests). */
  readonly isAlive?: (pid: number) => boolean;
}

export type Ledger = ReturnType<typeof createLedger>;

export interface ListedResult {
  readonly added: number;
  /** Known sizes of the new items. */
  readonly addedBytes: number;
  /** New items recorded as skipped (empty). */
  readonly skipped: readonly string[];
  /** Items the source itself refused (SourceItem.invalid): recorded as failed, never sent. */
  readonly invalid: ReadonlyArray<{ readonly id: string; readonly code: string; readonly message: string }>;
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

export function openLedger(path: string, opts: OpenLedgerOptions = {}): Ledger {
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
  } catch (e) {
    throw new MigrateUsageError(`cannot open the ledger ${path}: ${(e as Error).message}`, { cause: e });
  }
  try {
    if (!opts.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 5000');
      migrate(db);
    } else {
      const version = Number(db.pragma('user_version', { simple: true }));
      if (version === 0) throw new MigrateUsageError(`${path} is not a migration ledger`);
      if (version > LEDGER_SCHEMA_VERSION) throw new MigrateUsageError(`${path} was written by a newer openvod (ledger version ${version})`);
    }
    const ledger = createLedger(db);
    if (opts.lock) ledger.acquire(opts.isAlive ?? isAlive);
    return ledger;
  } catch (e) {
    db.close();
    throw e;
  }
}

function migrate(db: Database.Database): void {
  const version = Number(db.pragma('user_version', { simple: true }));
  if (version > LEDGER_SCHEMA_VERSION) throw new MigrateUsageError(`the ledger was written by a newer openvod (ledger version ${version})`);
  for (let v = version; v < LEDGER_SCHEMA_VERSION; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v] as string);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}

const parseJson = <T>(text: string, fallback: T): T => {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
};

export const metadataOf = (row: Pick<ItemRow, 'metadata'>): ItemMetadata => parseJson<ItemMetadata>(row.metadata, {});
export const extraOf = (row: Pick<ItemRow, 'extra'>): Record<string, string> => parseJson<Record<string, string>>(row.extra, {});

/** The SourceItem a row was listed as (what the source's sourceUrl/open/registerUrl take). */
export function sourceItemOf(row: ItemRow): SourceItem {
  const m = metadataOf(row);
  return {
    id: row.item_id, fileName: row.file_name, title: m.title, description: m.description, tags: m.tags, cateId: m.cateId,
    cateName: m.cateName, coverUrl: m.coverUrl, lastModified: m.lastModified, size: row.source_size ?? undefined,
    md5: row.source_md5 ?? undefined, durationS: row.source_duration_s ?? undefined, extra: extraOf(row),
  };
}

function metadataJson(item: SourceItem): string {
  const m: ItemMetadata = {
    title: item.title, description: item.description, tags: item.tags, cateId: item.cateId, cateName: item.cateName,
    coverUrl: item.coverUrl, lastModified: item.lastModified, invalid: item.invalid,
  };
  return JSON.stringify(m);
}

function createLedger(db: Database.Database) {
  const stmt = {
    exists: db.prepare<[string, string], { state: ItemState; metadata: string }>('SELECT state, metadata FROM items WHERE source = ? AND item_id = ?'),
    maxSeq: db.prepare<[string], { seq: number | null }>('SELECT MAX(seq) AS seq FROM items WHERE source = ?'),
    insert: db.prepare(`INSERT INTO items (source, item_id, seq, file_name, metadata, extra, state, error_code, error_message,
        source_size, source_md5, source_duration_s, listed_at_ms, updated_at_ms, completed_at_ms)
      VALUES (@source, @item_id, @seq, @file_name, @metadata, @extra, @state, @error_code, @error_message,
        @source_size, @source_md5, @source_duration_s, @now, @now, @completed_at_ms)`),
    get: db.prepare<[string, string], ItemRow>('SELECT * FROM items WHERE source = ? AND item_id = ?'),
    pending: db.prepare<[string, number, number], ItemRow>(
      `SELECT * FROM items WHERE source = ? AND state = 'pending' AND (next_at_ms IS NULL OR next_at_ms <= ?) ORDER BY seq LIMIT ?`),
    nextPendingAt: db.prepare<[string, number], { at: number | null }>(`SELECT MIN(next_at_ms) AS at FROM items WHERE source = ? AND state = 'pending' AND next_at_ms > ?`),
    pendingNow: db.prepare<[string, number, number], { n: number }>(
      `SELECT COUNT(*) AS n FROM (SELECT 1 FROM items WHERE source = ? AND state = 'pending' AND (next_at_ms IS NULL OR next_at_ms <= ?) LIMIT ?)`),
    inState: db.prepare<[string, string], ItemRow>('SELECT * FROM items WHERE source = ? AND state = ? ORDER BY seq'),
    idsInState: db.prepare<[string, string], { item_id: string }>('SELECT item_id FROM items WHERE source = ? AND state = ?'),
    knownBytes: db.prepare<[string], { bytes: number | null }>('SELECT SUM(source_size) AS bytes FROM items WHERE source = ?'),
    anyUnfinished: db.prepare<[string], { n: number }>(
      `SELECT COUNT(*) AS n FROM (SELECT 1 FROM items WHERE source = ? AND state IN ('pending', 'submitting', 'submitted') LIMIT 1)`),
    countState: db.prepare<[string, string], { n: number }>('SELECT COUNT(*) AS n FROM items WHERE source = ? AND state = ?'),
    submitted: db.prepare<[string], { rid: number; item_id: string; next_at_ms: number | null }>(
      `SELECT rowid AS rid, item_id, next_at_ms FROM items WHERE source = ? AND state = 'submitted'`),
    byRowids: db.prepare<[string], ItemRow>('SELECT * FROM items WHERE rowid IN (SELECT value FROM json_each(?))'),
    stateCounts: db.prepare<[string], { state: ItemState; n: number }>('SELECT state, COUNT(*) AS n FROM items WHERE source = ? GROUP BY state'),
    dueByJob: db.prepare<[string], { item_id: string }>(`UPDATE items SET next_at_ms = 0 WHERE job_id = ? AND state = 'submitted' RETURNING item_id`),
    dueByVideo: db.prepare<[string], { item_id: string }>(`UPDATE items SET next_at_ms = 0 WHERE video_id = ? AND state = 'submitted' RETURNING item_id`),
    resetFailed: db.prepare(`UPDATE items SET state = 'pending', stale_video_id = COALESCE(video_id, stale_video_id), video_id = NULL,
        job_id = NULL, session_id = NULL, submitted_url = NULL, error_code = NULL, error_message = NULL,
        pushed_size = NULL, pushed_md5 = NULL, target_size = NULL, target_md5 = NULL, target_duration_s = NULL, target_status = NULL,
        next_at_ms = NULL, completed_at_ms = NULL, updated_at_ms = ?
      WHERE source = ? AND state = 'failed' AND json_extract(metadata, '$.invalid') IS NULL`),
    counts: db.prepare<[], { source: string; state: ItemState; n: number; bytes: number | null }>(
      `SELECT source, state, COUNT(*) AS n, SUM(target_size) AS bytes FROM items GROUP BY source, state`),
    codes: db.prepare<[], { source: string; code: string | null; n: number }>(
      `SELECT source, error_code AS code, COUNT(*) AS n FROM items WHERE state = 'failed' GROUP BY source, error_code`),
    all: db.prepare<[], ItemRow>('SELECT * FROM items ORDER BY source, seq'),
    page: db.prepare<[string, number, number], ItemRow>('SELECT * FROM items WHERE (source, seq) > (?, ?) ORDER BY source, seq LIMIT ?'),
    sources: db.prepare<[], { source: string }>('SELECT DISTINCT source FROM items ORDER BY source'),
    getMeta: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
    setMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
    delMeta: db.prepare('DELETE FROM meta WHERE key = ?'),
    saveBatch: db.prepare(`INSERT INTO batches (session_id, source, method, request, created_at_ms) VALUES (@session_id, @source, @method, @request, @created_at_ms)
      ON CONFLICT (session_id) DO NOTHING`),
    getBatch: db.prepare<[string], BatchRow>('SELECT * FROM batches WHERE session_id = ?'),
  };
  const updates = new Map<string, Database.Statement>();
  const nextSeq = new Map<string, number>();
  let holder: string | undefined;

  const update = (source: string, itemId: string, patch: ItemPatch, nowMs: number): void => {
    const keys = Object.keys(patch).filter((k) => (patch as Record<string, unknown>)[k] !== undefined).sort();
    const sig = keys.join(',');
    let s = updates.get(sig);
    if (!s) {
      const sets = [...keys.map((k) => `${k} = @${k}`), 'updated_at_ms = @updated_at_ms'].join(', ');
      s = db.prepare(`UPDATE items SET ${sets} WHERE source = @source AND item_id = @item_id`);
      updates.set(sig, s);
    }
    s.run({ ...patch, updated_at_ms: nowMs, source, item_id: itemId });
  };

  const ledger = {
    db,

    /** One transaction around `fn` (better-sqlite3: synchronous). */
    tx<T>(fn: () => T): T {
      return db.transaction(fn)();
    },

    /**
     * Records listed items: new ones as pending (an empty file as skipped), known pending ones
     * refreshed, the others left as they are.
     */
    recordListed(source: string, items: readonly SourceItem[], nowMs: number): ListedResult {
      return db.transaction(() => {
        let seq = nextSeq.get(source) ?? (stmt.maxSeq.get(source)?.seq ?? 0) + 1;
        let added = 0;
        let addedBytes = 0;
        const skipped: string[] = [];
        const invalid: Array<{ id: string; code: string; message: string }> = [];
        for (const item of items) {
          const values = {
            source, item_id: item.id, file_name: item.fileName, metadata: metadataJson(item), extra: JSON.stringify(item.extra ?? {}),
            source_size: item.size ?? null, source_md5: item.md5?.toLowerCase() ?? null, source_duration_s: item.durationS ?? null, now: nowMs,
          };
          const existing = stmt.exists.get(source, item.id);
          if (existing) {
            // Not sent yet, or refused by the listing itself: what the source says now counts.
            const wasInvalid = existing.state === 'failed' && metadataOf(existing).invalid !== undefined;
            if (existing.state !== 'pending' && !wasInvalid) continue;
            update(source, item.id, {
              file_name: values.file_name, metadata: values.metadata, extra: values.extra, source_size: values.source_size,
              source_md5: values.source_md5, source_duration_s: values.source_duration_s,
              ...(item.invalid
                ? { state: 'failed' as const, error_code: item.invalid.code, error_message: item.invalid.message, completed_at_ms: nowMs }
                : { state: 'pending' as const, error_code: null, error_message: null, completed_at_ms: null }),
            }, nowMs);
            if (item.invalid && !wasInvalid) invalid.push({ id: item.id, ...item.invalid });
            continue;
          }
          const empty = item.size === 0 && !item.invalid;
          const state: ItemState = item.invalid ? 'failed' : empty ? 'skipped' : 'pending';
          stmt.insert.run({
            ...values, seq: seq++, state,
            error_code: item.invalid?.code ?? (empty ? 'Migrate.EmptySource' : null),
            error_message: item.invalid?.message ?? (empty ? 'the source file is empty' : null),
            completed_at_ms: state === 'pending' ? null : nowMs,
          });
          added++;
          addedBytes += item.size ?? 0;
          if (empty) skipped.push(item.id);
          if (item.invalid) invalid.push({ id: item.id, ...item.invalid });
        }
        nextSeq.set(source, seq);
        return { added, addedBytes, skipped, invalid };
      })();
    },

    get: (source: string, itemId: string): ItemRow | undefined => stmt.get.get(source, itemId),
    update,

    /** Pending items whose backoff (if any) has passed, in listing order. */
    takePending: (source: string, nowMs: number, limit: number): ItemRow[] => stmt.pending.all(source, nowMs, limit),
    /** Pending items due now, counted up to `limit` (from the index alone). */
    countPendingNow: (source: string, nowMs: number, limit: number): number => stmt.pendingNow.get(source, nowMs, limit)?.n ?? 0,
    /** When the next pending item's backoff ends (items already due are not counted). */
    nextPendingAt: (source: string, nowMs: number): number | undefined => stmt.nextPendingAt.get(source, nowMs)?.at ?? undefined,
    inState: (source: string, state: ItemState): ItemRow[] => stmt.inState.all(source, state),
    idsInState: (source: string, state: ItemState): string[] => stmt.idsInState.all(source, state).map((r) => r.item_id),
    /** Sum of the known source sizes of a source's items. */
    knownBytes: (source: string): number => stmt.knownBytes.get(source)?.bytes ?? 0,
    count: (source: string, state: ItemState): number => stmt.countState.get(source, state)?.n ?? 0,
    /** Counts per state without the failure codes and bytes (from the index: cheap enough for a progress line). */
    quickCounts(source: string): StateCounts {
      const byState = this.stateCounts(source);
      return { total: Object.values(byState).reduce((a, b) => a + b, 0), byState, failuresByCode: {}, succeededBytes: 0 };
    },
    /** Items per state (from the index alone). */
    stateCounts(source: string): Record<ItemState, number> {
      const byState = Object.fromEntries(ITEM_STATES.map((st) => [st, 0])) as Record<ItemState, number>;
      for (const r of stmt.stateCounts.all(source)) byState[r.state] = r.n;
      return byState;
    },
    /** Whether any item of the source is pending, being submitted or on the target (without counting them all). */
    hasUnfinished: (source: string): boolean => (stmt.anyUnfinished.get(source)?.n ?? 0) > 0,
    /** The submitted items with their recorded next check (the run keeps later ones in memory: CheckSchedule). */
    submitted: (source: string): Array<{ rid: number; item_id: string; next_at_ms: number | null }> => stmt.submitted.all(source),
    byRowids: (rids: readonly number[]): ItemRow[] => (rids.length === 0 ? [] : stmt.byRowids.all(JSON.stringify(rids))),
    /** A callback told of this job or video: its item is due now. Returns the items that matched. */
    makeDue(ids: { jobId?: string | undefined; videoId?: string | undefined }): string[] {
      const matched: string[] = [];
      if (ids.jobId) matched.push(...stmt.dueByJob.all(ids.jobId).map((r) => r.item_id));
      if (ids.videoId) matched.push(...stmt.dueByVideo.all(ids.videoId).map((r) => r.item_id));
      return matched;
    },
    /** `--retry-failed`: failed items become pending; their failed attempt's video is remembered for deletion. */
    resetFailed: (source: string, nowMs: number): number => stmt.resetFailed.run(nowMs, source).changes,

    saveBatch: (batch: BatchRow): void => void stmt.saveBatch.run(batch),
    getBatch: (sessionId: string): BatchRow | undefined => stmt.getBatch.get(sessionId),

    counts(source?: string): StateCounts {
      const byState = Object.fromEntries(ITEM_STATES.map((s) => [s, 0])) as Record<ItemState, number>;
      let total = 0;
      let succeededBytes = 0;
      for (const r of stmt.counts.all()) {
        if (source !== undefined && r.source !== source) continue;
        byState[r.state] = (byState[r.state] ?? 0) + r.n;
        total += r.n;
        if (r.state === 'succeeded') succeededBytes += r.bytes ?? 0;
      }
      const failuresByCode: Record<string, number> = {};
      for (const r of stmt.codes.all()) {
        if (source !== undefined && r.source !== source) continue;
        const code = r.code ?? 'Unknown';
        failuresByCode[code] = (failuresByCode[code] ?? 0) + r.n;
      }
      return { total, byState, failuresByCode, succeededBytes };
    },
    all: (): IterableIterator<ItemRow> => stmt.all.iterate(),
    /** Rows after (source, seq) in (source, seq) order: keyset paging that may span awaits. */
    page: (after: { source: string; seq: number } | undefined, limit: number): ItemRow[] => stmt.page.all(after?.source ?? '', after?.seq ?? -1, limit),
    sources: (): string[] => stmt.sources.all().map((r) => r.source),

    getMeta: (key: string): string | undefined => stmt.getMeta.get(key)?.value,
    setMeta: (key: string, value: string): void => void stmt.setMeta.run(key, value),

    /** Takes the ledger for this process; refuses when a live migrator on this host holds it. */
    acquire(alive: (pid: number) => boolean): void {
      const me = JSON.stringify({ host: hostname(), pid: process.pid });
      db.transaction(() => {
        const current = stmt.getMeta.get('holder')?.value;
        if (current !== undefined && current !== me) {
          const h = parseJson<{ host?: string; pid?: number }>(current, {});
          if (h.host !== hostname()) {
            throw new LedgerBusyError(`the ledger is held by a migrator on ${h.host ?? 'another host'} (pid ${h.pid ?? '?'}); if it is gone, delete the "holder" row or use another ledger`);
          }
          if (typeof h.pid === 'number' && alive(h.pid)) throw new LedgerBusyError(`the ledger is in use by another migrator (pid ${h.pid})`);
        }
        stmt.setMeta.run('holder', me);
      }).immediate();
      holder = me;
    },

    close(): void {
      if (!db.open) return;
      if (holder !== undefined && stmt.getMeta.get('holder')?.value === holder) stmt.delMeta.run('holder');
      holder = undefined;
      db.close();
    },
  };
  return ledger;
}
