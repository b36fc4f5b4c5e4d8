// Shared pieces of the migration end-to-end tests: a target OpenVOD with fast workers, the
// `openvod migrate` CLI as a child process (JSON lines parsed as they arrive), the ledger read
// back, and the target's videos counted.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import type { VodRpcClient } from '../../src/sdk/rpc-client.js';
import type { ItemRow } from '../../src/migrate/ledger/ledger.types.js';
import { BIN, clientFor, startTestServer, TEST_KEY_ID, TEST_KEY_SECRET, type TestServer } from '../helpers/server.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** `node bin/openvod.js` (it runs the sources through tsx when they are newer than the bundle). */
export const cliPrefix = (): string[] => [BIN];

export const workDir = (name: string): string => mkdtempSync(join(tmpdir(), `openvod-${name}-`));

/** A server config with fast workers and fast, few ingest retries. */
export function fastConfig(dir: string, extra: Record<string, unknown> = {}): string {
  const file = join(dir, 'server-config.json');
  writeFileSync(file, JSON.stringify({
    worker: { leaseMs: 3000, heartbeatMs: 1000, pollMs: 100, concurrency: 8 },
    ingest: { stallTimeoutMs: 3000, retryBaseMs: 100, retryCapMs: 300, fetchAttempts: 3, connectTimeoutMs: 3000, jobRunAttempts: 1, jobRetryBaseMs: 300 },
    notify: { pollMs: 100, retryDelaysMs: [200, 400] },
    ...extra,
  }));
  return file;
}

export interface Target {
  server: TestServer;
  vod: VodRpcClient;
  url: string;
}

export async function startTarget(dir: string, extraConfig: Record<string, unknown> = {}): Promise<Target> {
  const server = await startTestServer({ env: { OPENVOD_ALLOW_PRIVATE_NETWORKS: '1' }, args: ['--config', fastConfig(dir, extraConfig)] });
  const vod = clientFor(server);
  return { server, vod, url: server.url };
}

export const targetKeys = ['--access-key-id', TEST_KEY_ID, '--access-key-secret', TEST_KEY_SECRET];

export interface CliRun {
  readonly child: ChildProcess;
  /** JSON objects printed so far (with --json). */
  readonly events: Array<Record<string, unknown>>;
  stdout(): string;
  stderr(): string;
  /** Resolves when an event matching `pred` has been printed (or rejects when the process ends first). */
  waitForEvent(pred: (e: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  /** Exit code, or the signal's name. */
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function spawnCli(args: readonly string[], env: Record<string, string | undefined> = {}): CliRun {
  const fullEnv: Record<string, string | undefined> = { ...process.env, ...env };
  for (const k of ['ALIBABA_CLOUD_ACCESS_KEY_ID', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET', 'OPENVOD_ACCESS_KEY_ID', 'OPENVOD_ACCESS_KEY_SECRET']) {
    if (!(k in env)) delete fullEnv[k];
  }
  const child = spawn(process.execPath, [...cliPrefix(), 'migrate', ...args], { cwd: ROOT, env: fullEnv as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let partial = '';
  const events: Array<Record<string, unknown>> = [];
  const waiters: Array<{ pred: (e: Record<string, unknown>) => boolean; resolve: (e: Record<string, unknown>) => void }> = [];
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
    partial += d.toString();
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      let e: Record<string, unknown>;
      try {
        e = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      if (e === null || typeof e !== 'object' || Array.isArray(e)) continue;
      events.push(e);
      for (const w of [...waiters]) if (w.pred(e)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(e);
      }
    }
  });
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return {
    child, events, exit,
    stdout: () => out,
    stderr: () => err,
    waitForEvent(pred) {
      const seen = events.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        waiters.push({ pred, resolve });
        void exit.then(() => reject(new Error(`the migrator exited before the event; stdout:\n${out}\nstderr:\n${err}`)));
      });
    },
  };
}

export async function runCli(args: readonly string[], env: Record<string, string | undefined> = {}): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; events: Array<Record<string, unknown>> }> {
  const run = spawnCli(args, env);
  const { code, signal } = await run.exit;
  return { code, signal, stdout: run.stdout(), stderr: run.stderr(), events: run.events };
}

export function ledgerRows(path: string): ItemRow[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT * FROM items ORDER BY source, seq').all() as ItemRow[];
  } finally {
    db.close();
  }
}

export const byId = (rows: readonly ItemRow[]): Map<string, ItemRow> => new Map(rows.map((r) => [r.item_id, r]));

export interface VideoView { VideoId: string; Title: string; Status: string; Size?: number; CateId?: number; Description?: string; Tags?: string }

/** Every video on the target (GetVideoList pages). */
export async function allVideos(vod: VodRpcClient): Promise<VideoView[]> {
  const out: VideoView[] = [];
  for (let page = 1; ; page++) {
    const r = await vod.call<{ Total: number; VideoList: { Video: VideoView[] } }>('GetVideoList', { PageNo: page, PageSize: 100 });
    out.push(...r.VideoList.Video);
    if (r.VideoList.Video.length < 100) return out;
  }
}

/** Every URL job the target has for `url`. */
export async function jobsFor(vod: VodRpcClient, url: string): Promise<Array<{ JobId: string; Status: string; MediaId: string }>> {
  const r = await vod.call<{ URLUploadInfoList: Array<{ JobId: string; Status: string; MediaId: string }> }>('GetURLUploadInfos', { UploadURLs: encodeURIComponent(url) });
  return r.URLUploadInfoList;
}

export function csv(rows: ReadonlyArray<readonly string[]>): string {
  return rows.map((r) => r.map((c) => (/[",\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',')).join('\n') + '\n';
}

/** Minimal RFC 4180 reader for the export's CSV. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (ch === '"') quoted = false; else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { row.push(cell); cell = ''; }
    else if (ch === '\n') { row.push(cell.replace(/\r$/, '')); rows.push(row); row = []; cell = ''; }
    else cell += ch;
  }
  if (cell !== '' || row.length > 0) { row.push(cell); rows.push(row); }
  return rows;
}
