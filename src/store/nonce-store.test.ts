import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { NONCE_FILE, openStore, type Store } from './db.js';
import { createTestStore, testDialect } from '../../test/helpers/store.js';
import type { NonceClaim } from './nonce-store.js';
import { MAX_NONCES_PER_STATEMENT } from './pg-nonce-table.js';
import { nonceKey, SqliteNonceStore } from './sqlite-nonce-file.js';

const TTL = 1_800_000;
let t: Awaited<ReturnType<typeof createTestStore>>;
let db: Store['nonces'];
let seq = 0;
const fresh = (): string => `nonce-${process.pid}-${++seq}`;

before(async () => {
  t = await createTestStore();
  db = t.store.nonces;
});
after(async () => t?.cleanup());

test(`each claim gets its own answer, in order (${testDialect})`, async () => {
  const now = Date.now();
  const [a, b, c] = [fresh(), fresh(), fresh()];
  assert.deepEqual(await db.record([{ accessKeyId: 'k1', nonce: a }], now, TTL), ['fresh']);
  const claims: NonceClaim[] = [
    { accessKeyId: 'k1', nonce: b },
    { accessKeyId: 'k1', nonce: a }, // used above
    { accessKeyId: 'k2', nonce: a }, // same nonce, another key: its own
    { accessKeyId: 'k1', nonce: c },
  ];
  assert.deepEqual(await db.record(claims, now, TTL), ['fresh', 'used', 'fresh', 'fresh']);
  assert.deepEqual(await db.record(claims, now + 1, TTL), ['used', 'used', 'used', 'used']);
});

test(`a nonce is taken afresh once its row has expired, not before (${testDialect})`, async () => {
  const now = Date.now();
  const n = fresh();
  assert.deepEqual(await db.record([{ accessKeyId: 'k1', nonce: n }], now, 1000), ['fresh']);
  assert.deepEqual(await db.record([{ accessKeyId: 'k1', nonce: n }], now + 1000, 1000), ['used']); // expires at now+1000: still held
  assert.deepEqual(await db.record([{ accessKeyId: 'k1', nonce: n }], now + 1001, 1000), ['fresh']);
  assert.deepEqual(await db.record([{ accessKeyId: 'k1', nonce: n }], now + 1500, 1000), ['used']); // renewed above
});

test(`batches larger than one statement, with used nonces spread through them (${testDialect})`, async () => {
  const now = Date.now();
  const count = MAX_NONCES_PER_STATEMENT * 2 + 7;
  const nonces = Array.from({ length: count }, () => fresh());
  const early = nonces.filter((_, i) => i % 5 === 0);
  await db.record(early.map((nonce) => ({ accessKeyId: 'k3', nonce })), now, TTL);
  // Claims in an order that is not sorted, so the answers must be mapped back.
  const claims = nonces.map((nonce) => ({ accessKeyId: 'k3', nonce })).reverse();
  const outcomes = await db.record(claims, now, TTL);
  assert.deepEqual(outcomes, claims.map((c) => (early.includes(c.nonce) ? 'used' : 'fresh')));
});

test(`two connections racing for the same nonces: each is fresh exactly once (${testDialect})`, async () => {
  // A second store on the same database stands for another process.
  const other = openStore({ databaseUrl: t.databaseUrl, dataDir: t.dataDir });
  try {
    const now = Date.now();
    const nonces = Array.from({ length: 40 }, () => fresh());
    const claims = (order: string[]) => order.map((nonce) => ({ accessKeyId: 'race', nonce }));
    const rounds = await Promise.all([
      db.record(claims(nonces), now, TTL),
      other.nonces.record(claims([...nonces].reverse()), now, TTL),
      db.record(claims(nonces.slice(10, 30)), now, TTL),
    ]);
    for (const nonce of nonces) {
      const wins = [
        rounds[0]?.[nonces.indexOf(nonce)],
        rounds[1]?.[nonces.length - 1 - nonces.indexOf(nonce)],
        nonces.indexOf(nonce) >= 10 && nonces.indexOf(nonce) < 30 ? rounds[2]?.[nonces.indexOf(nonce) - 10] : undefined,
      ].filter((o) => o === 'fresh').length;
      assert.equal(wins, 1, `nonce ${nonce} was fresh ${wins} times`);
    }
  } finally {
    await other.close();
  }
});

test(`purgeExpired removes only expired rows (${testDialect})`, async () => {
  const now = Date.now() + 10 * TTL; // past every row written by the tests above
  const [old, kept] = [fresh(), fresh()];
  await db.record([{ accessKeyId: 'k4', nonce: old }], now - 2000, 1000);
  await db.record([{ accessKeyId: 'k4', nonce: kept }], now, 1000);
  assert.ok((await db.purgeExpired(now)) >= 1);
  assert.deepEqual(await db.record([{ accessKeyId: 'k4', nonce: kept }, { accessKeyId: 'k4', nonce: old }], now, 1000), ['used', 'fresh']);
});

test('SQLite: nonces outlive the process that wrote them; a damaged nonce file is replaced by an empty one', { skip: testDialect !== 'sqlite' }, async () => {
  const now = Date.now();
  const n = fresh();
  assert.deepEqual(await db.record([{ accessKeyId: 'k5', nonce: n }], now, TTL), ['fresh']);
  const reopened = openStore({ databaseUrl: undefined, dataDir: t.dataDir });
  try {
    assert.deepEqual(await reopened.nonces.record([{ accessKeyId: 'k5', nonce: n }], now, TTL), ['used']);
  } finally {
    await reopened.close();
  }
  const dir = mkdtempSync(join(tmpdir(), 'openvod-nonce-'));
  writeFileSync(join(dir, NONCE_FILE), Buffer.alloc(8192, 0x5a)); // not a database at all
  const damaged = openStore({ databaseUrl: undefined, dataDir: dir });
  try {
    assert.deepEqual(await damaged.nonces.record([{ accessKeyId: 'k5', nonce: n }], now, TTL), ['fresh']);
    assert.deepEqual(await damaged.nonces.record([{ accessKeyId: 'k5', nonce: n }], now, TTL), ['used']);
  } finally {
    await damaged.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SQLite: after a reboot the nonce file is checked once, and kept when it is sound', { skip: testDialect !== 'sqlite' || !existsSync('/proc/sys/kernel/random/boot_id') }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'openvod-nonce-'));
  try {
    const now = Date.now();
    const first = openStore({ databaseUrl: undefined, dataDir: dir });
    assert.deepEqual(await first.nonces.record([{ accessKeyId: 'k6', nonce: 'n1' }], now, TTL), ['fresh']);
    await first.close();
    const raw = new Database(join(dir, NONCE_FILE));
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const checkedBoot = (db: Database.Database) => (db.prepare(`SELECT value FROM nonce_file_meta WHERE name = 'checked_boot_id'`).get() as { value: string } | undefined)?.value;
    assert.equal(checkedBoot(raw), boot);
    raw.prepare(`UPDATE nonce_file_meta SET value = 'an-earlier-boot' WHERE name = 'checked_boot_id'`).run();
    raw.close();
    const second = openStore({ databaseUrl: undefined, dataDir: dir });
    try {
      assert.deepEqual(await second.nonces.record([{ accessKeyId: 'k6', nonce: 'n1' }], now, TTL), ['used']);
    } finally {
      await second.close();
    }
    const after = new Database(join(dir, NONCE_FILE), { readonly: true });
    assert.equal(checkedBoot(after), boot);
    after.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * A nonce file of an earlier version, written by `makeOld` (in one transaction), opened by this
 * version: `checkStore` claims through the upgraded store, `checkFile` reads the file after.
 */
async function upgradeCase(
  oldTable: string,
  makeOld: (raw: Database.Database, now: number) => void,
  checkStore: (nonces: Store['nonces'], now: number) => Promise<void>,
  checkFile: (after: Database.Database) => void,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'openvod-nonce-'));
  try {
    const now = Date.now();
    const raw = new Database(join(dir, NONCE_FILE));
    raw.transaction(() => makeOld(raw, now))();
    raw.close();
    const upgraded = openStore({ databaseUrl: undefined, dataDir: dir });
    try {
      await checkStore(upgraded.nonces, now);
    } finally {
      await upgraded.close();
    }
    const after = new Database(join(dir, NONCE_FILE), { readonly: true });
    try {
      assert.equal(after.prepare(`SELECT count(*) FROM sqlite_master WHERE name = ?`).pluck().get(oldTable), 0, `${oldTable} is gone`);
      checkFile(after);
    } finally {
      after.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const keyBytes = (key: bigint): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(key);
  return b;
};
const keysInFile = (after: Database.Database): unknown => after.prepare('SELECT sum(length(keys)) / 8 FROM nonce_batches').pluck().get();

test('SQLite: a nonce file with string keys is upgraded in place; its live nonces stay used', { skip: testDialect !== 'sqlite' }, () =>
  upgradeCase(
    'signature_nonces',
    (raw, now) => {
      raw.exec(`CREATE TABLE signature_nonces (access_key_id TEXT NOT NULL, nonce TEXT NOT NULL, expires_at_ms INTEGER NOT NULL,
        CONSTRAINT signature_nonces_pk PRIMARY KEY (access_key_id, nonce)) WITHOUT ROWID`);
      const insert = raw.prepare('INSERT INTO signature_nonces VALUES (?, ?, ?)');
      // More rows than one page of the copy, so that the paging is exercised.
      for (let i = 0; i < 10_050; i++) insert.run('k7', `live-${i}`, now + TTL);
      insert.run('k7', 'expired', now - 1);
    },
    async (nonces, now) => {
      const claims = [0, 9_999, 10_000, 10_049].map((i) => ({ accessKeyId: 'k7', nonce: `live-${i}` }));
      assert.deepEqual(await nonces.record(claims, now, TTL), ['used', 'used', 'used', 'used']);
      assert.deepEqual(await nonces.record([{ accessKeyId: 'k7', nonce: 'expired' }, { accessKeyId: 'k8', nonce: 'live-0' }], now, TTL), ['fresh', 'fresh']);
    },
    (after) => {
      // The converted rows hold nonceKey's 8 bytes.
      assert.equal(after.prepare('SELECT count(*) FROM nonce_batches WHERE keys = ?').pluck().get(keyBytes(nonceKey('k7', 'live-5'))), 1);
    },
  ));

test('SQLite: a nonce file with one row per key (nonce_keys) is upgraded to the batches; its live nonces stay used', { skip: testDialect !== 'sqlite' }, () =>
  upgradeCase(
    'nonce_keys',
    (raw, now) => {
      raw.exec('CREATE TABLE nonce_keys (key INTEGER PRIMARY KEY, expires_at_ms INTEGER NOT NULL); CREATE INDEX nonce_keys_expiry ON nonce_keys (expires_at_ms)');
      const insert = raw.prepare('INSERT INTO nonce_keys VALUES (?, ?)');
      for (let i = 0; i < 500; i++) insert.run(nonceKey('k9', `live-${i}`), now + TTL);
      insert.run(nonceKey('k9', 'expired'), now - 1);
    },
    async (nonces, now) => {
      const claims = [0, 250, 499].map((i) => ({ accessKeyId: 'k9', nonce: `live-${i}` }));
      assert.deepEqual(await nonces.record(claims, now, TTL), ['used', 'used', 'used']);
      assert.deepEqual(await nonces.record([{ accessKeyId: 'k9', nonce: 'expired' }, { accessKeyId: 'k9', nonce: 'live-500' }], now, TTL), ['fresh', 'fresh']);
    },
    (after) => assert.equal(keysInFile(after), 502), // 500 live, then the two fresh claims
  ));

test('SQLite: a nonce file with a row per key in order (nonce_log) is upgraded to the batches; its live nonces stay used', { skip: testDialect !== 'sqlite' }, () =>
  upgradeCase(
    'nonce_log',
    (raw, now) => {
      raw.exec('CREATE TABLE nonce_log (seq INTEGER PRIMARY KEY, key INTEGER NOT NULL, expires_at_ms INTEGER NOT NULL)');
      const insert = raw.prepare('INSERT INTO nonce_log (key, expires_at_ms) VALUES (?, ?)');
      // More rows than one page of the copy; an expired row at the head and one in the middle.
      insert.run(nonceKey('k13', 'expired-0'), now - 1);
      for (let i = 0; i < 12_000; i++) insert.run(nonceKey('k13', `live-${i}`), now + TTL);
      insert.run(nonceKey('k13', 'expired-1'), now - 1);
      insert.run(nonceKey('k13', 'live-last'), now + TTL);
    },
    async (nonces, now) => {
      const claims = ['live-0', 'live-9999', 'live-10000', 'live-11999', 'live-last'].map((nonce) => ({ accessKeyId: 'k13', nonce }));
      assert.deepEqual(await nonces.record(claims, now, TTL), ['used', 'used', 'used', 'used', 'used']);
      const news = ['expired-0', 'expired-1', 'new'].map((nonce) => ({ accessKeyId: 'k13', nonce }));
      assert.deepEqual(await nonces.record(news, now, TTL), ['fresh', 'fresh', 'fresh']);
    },
    (after) => assert.equal(keysInFile(after), 12_001 + 3),
  ));

/** Runs `body` with two stores on one fresh SQLite data dir (two processes' view of it), then removes it. */
async function withTwoStores(body: (a: Store, b: Store, dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'openvod-nonce-'));
  const a = openStore({ databaseUrl: undefined, dataDir: dir });
  const b = openStore({ databaseUrl: undefined, dataDir: dir });
  try {
    await body(a, b, dir);
  } finally {
    await Promise.all([a.close(), b.close()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

test('SQLite: each process answers from its own index of the log, and reads what others appended before it answers', { skip: testDialect !== 'sqlite' }, () =>
  withTwoStores(async (a, b, dir) => {
    const now = Date.now();
    const claim = (nonce: string) => [{ accessKeyId: 'k11', nonce }];
    // Alternating writers: each nonce is refused by the other store at once, then by its own.
    for (let i = 0; i < 50; i++) {
      const [first, second] = i % 2 === 0 ? [a, b] : [b, a];
      assert.deepEqual(await first.nonces.record(claim(`n${i}`), now, TTL), ['fresh']);
      assert.deepEqual(await second.nonces.record(claim(`n${i}`), now, TTL), ['used']);
      assert.deepEqual(await first.nonces.record(claim(`n${i}`), now, TTL), ['used']);
    }
    // A row renewed by one store after it expired is held by the other until the new expiry.
    assert.deepEqual(await a.nonces.record(claim('renewed'), now, 1000), ['fresh']);
    assert.deepEqual(await b.nonces.record(claim('renewed'), now + 2000, 1000), ['fresh']);
    assert.deepEqual(await a.nonces.record(claim('renewed'), now + 2500, 1000), ['used']);
    // A store opened later reads every live row at start.
    const c = openStore({ databaseUrl: undefined, dataDir: dir });
    try {
      assert.deepEqual(await c.nonces.record([...claim('n0'), ...claim('n49'), ...claim('new')], now, TTL), ['used', 'used', 'fresh']);
    } finally {
      await c.close();
    }
  }));

test('SQLite: a batch holding a nonce another process took since this one last looked: that claim is used, the rest fresh, and both processes agree after', { skip: testDialect !== 'sqlite' }, () =>
  withTwoStores(async (a, b) => {
    const now = Date.now();
    const claims = (...nonces: string[]) => nonces.map((nonce) => ({ accessKeyId: 'k14', nonce }));
    assert.deepEqual(await a.nonces.record(claims('x'), now, TTL), ['fresh']);
    assert.deepEqual(await a.nonces.record(claims('y'), now, TTL), ['fresh']);
    // b has not read a's rows: it answers after its own row is in, from the rows before it.
    assert.deepEqual(await b.nonces.record(claims('p', 'y', 'q', 'x', 'r'), now, TTL), ['fresh', 'used', 'fresh', 'used', 'fresh']);
    assert.deepEqual(await a.nonces.record(claims('p', 'q', 'r', 's'), now, TTL), ['used', 'used', 'used', 'fresh']);
    assert.deepEqual(await b.nonces.record(claims('x', 'y', 's', 't'), now, TTL), ['used', 'used', 'used', 'fresh']);
  }));

test('SQLite: a store reads the log only when asked to catch up or at its first claim, so a command that claims nothing never reads it', { skip: testDialect !== 'sqlite' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'openvod-nonce-'));
  const writer = new SqliteNonceStore(dir);
  try {
    const now = Date.now();
    for (let i = 0; i < 20; i++) await writer.record([{ accessKeyId: 'k15', nonce: `a${i}` }, { accessKeyId: 'k15', nonce: `b${i}` }], now, TTL);
    const idle = new SqliteNonceStore(dir);
    const claiming = new SqliteNonceStore(dir);
    try {
      assert.equal(idle.heldKeys, 0, 'opening reads no row');
      idle.catchUp();
      assert.equal(idle.heldKeys, 40);
      await writer.record([{ accessKeyId: 'k15', nonce: 'c' }], now, TTL);
      idle.catchUp();
      assert.equal(idle.heldKeys, 41, 'a later catch-up reads only the rows since');
      // Never caught up: its first claim reads the log first.
      assert.deepEqual(await claiming.record([{ accessKeyId: 'k15', nonce: 'a3' }, { accessKeyId: 'k15', nonce: 'd' }], now, TTL), ['used', 'fresh']);
      assert.deepEqual(await idle.record([{ accessKeyId: 'k15', nonce: 'd' }, { accessKeyId: 'k15', nonce: 'c' }], now, TTL), ['used', 'used']);
    } finally {
      idle.close();
      claiming.close();
    }
  } finally {
    writer.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SQLite: processes claiming the same nonces at once: each nonce is fresh for exactly one of them', { skip: testDialect !== 'sqlite' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'openvod-nonce-'));
  try {
    new SqliteNonceStore(dir).close(); // the file exists before the children race to open it
    const nonces = 3000;
    // Each child opens the file, says "ready", waits for "go", then claims every nonce in batches
    // of 25, in an order of its own, pausing between batches.
    const script = (offset: number) => `
      import { once } from 'node:events';
      import { SqliteNonceStore } from ${JSON.stringify(new URL('./sqlite-nonce-file.ts', import.meta.url).href)};
      const store = new SqliteNonceStore(${JSON.stringify(dir)});
      process.stdout.write('ready\\n');
      await once(process.stdin, 'data');
      const order = Array.from({ length: ${nonces} }, (_, i) => 'n' + ((i * 7 + ${offset}) % ${nonces}));
      const fresh = [];
      for (let start = 0; start < order.length; start += 25) {
        const batch = order.slice(start, start + 25);
        const outcomes = await store.record(batch.map((nonce) => ({ accessKeyId: 'race', nonce })), Date.now(), ${TTL});
        batch.forEach((nonce, i) => { if (outcomes[i] === 'fresh') fresh.push(nonce); });
        await new Promise((resolve) => setTimeout(resolve, 2)); // so that the three overlap even on a busy machine
      }
      store.close();
      process.stdout.write(JSON.stringify(fresh));`;
    const children = [0, 1000, 2000].map((offset) => spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script(offset)], { stdio: ['pipe', 'pipe', 'inherit'] }));
    const outs = children.map((child) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
      return { exited: once(child, 'exit'), text: () => out };
    });
    // Released together once all three are ready: the claims overlap in time.
    while (!outs.every((o) => o.text().startsWith('ready\n'))) await new Promise((resolve) => setTimeout(resolve, 20));
    for (const child of children) child.stdin.end('go\n');
    const outputs = await Promise.all(outs.map(async (o) => {
      const [code] = await o.exited;
      assert.equal(code, 0);
      return JSON.parse(o.text().slice('ready\n'.length)) as string[];
    }));
    const wins = new Map<string, number>();
    for (const fresh of outputs) for (const nonce of fresh) wins.set(nonce, (wins.get(nonce) ?? 0) + 1);
    assert.equal(wins.size, nonces, 'every nonce was fresh for someone');
    assert.deepEqual([...wins].filter(([, n]) => n !== 1), [], 'no nonce was fresh twice');
    assert.ok(outputs.filter((fresh) => fresh.length > 0).length >= 2, `processes won ${outputs.map((f) => f.length).join(', ')} nonces: they did not run at once`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SQLite: a purge keeps the newest row, so a process that saw it never misses the rows appended after', { skip: testDialect !== 'sqlite' }, () =>
  withTwoStores(async (a, b) => {
    const now = Date.now();
    await a.nonces.record([{ accessKeyId: 'k12', nonce: 'x' }, { accessKeyId: 'k12', nonce: 'y' }], now, 1000);
    // b reads a's row and appends one of its own.
    assert.deepEqual(await b.nonces.record([{ accessKeyId: 'k12', nonce: 'x' }, { accessKeyId: 'k12', nonce: 'w' }], now, 1000), ['used', 'fresh']);
    assert.equal(await a.nonces.purgeExpired(now + 5000), 1); // every row expired; the newest stays
    assert.deepEqual(await a.nonces.record([{ accessKeyId: 'k12', nonce: 'z' }], now + 5000, TTL), ['fresh']);
    assert.deepEqual(await b.nonces.record([{ accessKeyId: 'k12', nonce: 'z' }], now + 5000, TTL), ['used']);
  }));

test('SQLite: a purge goes in slices and removes every expired row, and nothing else', { skip: testDialect !== 'sqlite' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'openvod-nonce-'));
  const s = openStore({ databaseUrl: undefined, dataDir: dir });
  try {
    const now = Date.now();
    const claims = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => ({ accessKeyId: 'k10', nonce: `${prefix}-${i}` }));
    // A row per batch: 12,001 batches of one, more than two slices.
    for (const claim of claims('old', 12_001)) await s.nonces.record([claim], now - 10_000, 1000);
    await s.nonces.record(claims('new', 3), now, TTL);
    assert.equal(await s.nonces.purgeExpired(now), 12_001);
    assert.equal(await s.nonces.purgeExpired(now), 0);
    assert.deepEqual(await s.nonces.record(claims('new', 3), now, TTL), ['used', 'used', 'used']);
  } finally {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SQLite: recording batches on a large nonce file opens no temporary file (the statement journal stays in memory)', { skip: testDialect !== 'sqlite' }, async () => {
  // A many-row upsert keeps the pages it changes in a statement journal, which SQLite spills to a
  // temporary file past 64 KiB unless temporary storage is in memory. SQLite takes its temporary
  // directory from SQLITE_TMPDIR when the process starts, so a child records the nonces and this
  // test watches that directory: every spill would create (and unlink) a file in it.
  const dir = mkdtempSync(join(tmpdir(), 'openvod-nonce-'));
  const spillDir = join(dir, 'sqlite-tmp');
  const dataDir = join(dir, 'data');
  for (const d of [spillDir, dataDir]) mkdirSync(d);
  const files: string[] = [];
  const watcher = watch(spillDir, (_event, name) => files.push(String(name)));
  try {
    const script = `
      import { SqliteNonceStore } from ${JSON.stringify(new URL('./sqlite-nonce-file.ts', import.meta.url).href)};
      const store = new SqliteNonceStore(${JSON.stringify(dataDir)});
      let seq = 0;
      for (let batch = 0; batch < 300; batch++) {
        const claims = Array.from({ length: 64 }, () => ({ accessKeyId: 'k', nonce: 'n' + ++seq }));
        const outcomes = await store.record(claims, Date.now(), ${TTL});
        if (outcomes.some((o) => o !== 'fresh')) throw new Error('a new nonce was refused');
      }
      store.close();`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, SQLITE_TMPDIR: spillDir },
    });
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
    await new Promise((resolve) => setTimeout(resolve, 50)); // the watcher's last events
    const spilled = new Set(files);
    assert.equal(spilled.size, 0, `temporary files made while recording: ${spilled.size} (${[...spilled].slice(0, 3).join(', ')} …)`);
  } finally {
    watcher.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('nonceKey: the first 8 bytes of SHA-256 over "<key length>:<key>:<nonce>", signed (the file format: it must not change)', () => {
  const expected = (k: string, n: string) => BigInt.asIntN(64, BigInt(`0x${createHash('sha256').update(`${k.length}:${k}:${n}`).digest('hex').slice(0, 16)}`));
  for (const [k, n] of [['LTAIbenchRootKey0001', 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee'], ['k', ''], ['a:b', 'c'], ['a', 'b:c'], ['ключ', 'ноnce']] as const) {
    assert.equal(nonceKey(k, n), expected(k, n));
  }
  assert.notEqual(nonceKey('a:b', 'c'), nonceKey('a', 'b:c'), 'the key length keeps key and nonce apart');
  assert.equal(nonceKey('k', 'n'), 2851094129244319415n);
});
