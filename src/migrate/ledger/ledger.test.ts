// The ledger on a real SQLite file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { SourceItem } from '../source.js';
import { LedgerBusyError, MigrateUsageError } from '../migrate.errors.js';
import { CheckSchedule } from '../run/check-schedule.js';
import { openLedger, sourceItemOf } from './ledger.js';
import { LEDGER_SCHEMA_VERSION } from './ledger.schema.js';

const file = (): string => join(mkdtempSync(join(tmpdir(), 'ledger-')), 'l.sqlite');
const item = (id: string, over: Partial<SourceItem> = {}): SourceItem => ({ id, fileName: `${id}.mp4`, extra: {}, ...over });

test('listing: new items pending in order, empty ones skipped, invalid ones failed; a re-listing adds nothing twice', () => {
  const l = openLedger(file());
  try {
    const r = l.recordListed('urls:a', [item('a', { size: 5, title: 'A', extra: { Ref: '1' } }), item('b', { size: 0 }), item('c', { invalid: { code: 'InvalidFileName.Extension', message: 'no ext' } })], 1);
    assert.deepEqual(r, { added: 3, addedBytes: 5, skipped: ['b'], invalid: [{ id: 'c', code: 'InvalidFileName.Extension', message: 'no ext' }] });
    assert.equal(l.get('urls:a', 'a')?.state, 'pending');
    assert.equal(l.get('urls:a', 'b')?.state, 'skipped');
    assert.equal(l.get('urls:a', 'c')?.error_code, 'InvalidFileName.Extension');
    const again = l.recordListed('urls:a', [item('a', { size: 6, title: 'A2' }), item('d')], 2);
    assert.equal(again.added, 1);
    assert.deepEqual(l.takePending('urls:a', 10, 10).map((x) => x.item_id), ['a', 'd']);
    // Pending rows take what the source says now.
    const a = l.get('urls:a', 'a');
    assert.equal(a?.source_size, 6);
    assert.equal(sourceItemOf(a!).title, 'A2');
    // The same id under another source is another item.
    assert.equal(l.recordListed('urls:b', [item('a')], 3).added, 1);
    assert.equal(l.counts().total, 5);
    assert.equal(l.counts('urls:a').total, 4);
  } finally {
    l.close();
  }
});

test('a line fixed in the list is pending again; --retry-failed leaves the listing\'s refusals alone', () => {
  const l = openLedger(file());
  try {
    l.recordListed('s', [item('bad', { invalid: { code: 'X.Y', message: 'm' } }), item('ok')], 1);
    l.update('s', 'ok', { state: 'failed', error_code: 'URLInvalidError', video_id: 'v1' }, 2);
    assert.equal(l.resetFailed('s', 3), 1);
    const ok = l.get('s', 'ok');
    assert.equal(ok?.state, 'pending');
    assert.equal(ok?.stale_video_id, 'v1');
    assert.equal(ok?.video_id, null);
    assert.equal(l.get('s', 'bad')?.state, 'failed');
    l.recordListed('s', [item('bad')], 4);
    assert.equal(l.get('s', 'bad')?.state, 'pending');
    assert.equal(l.get('s', 'bad')?.error_code, null);
  } finally {
    l.close();
  }
});

test('backoff, the check schedule, and callbacks making an item due', () => {
  const l = openLedger(file());
  try {
    l.recordListed('s', [item('a'), item('b'), item('c')], 1);
    l.update('s', 'a', { next_at_ms: 100 }, 1);
    assert.deepEqual(l.takePending('s', 50, 10).map((x) => x.item_id), ['b', 'c']);
    assert.deepEqual(l.takePending('s', 100, 10).map((x) => x.item_id), ['a', 'b', 'c']);
    assert.equal(l.nextPendingAt('s', 50), 100);
    l.update('s', 'b', { state: 'submitted', job_id: 'j1', video_id: 'v1', next_at_ms: 1000 }, 1);
    l.update('s', 'c', { state: 'submitted', job_id: 'j2', next_at_ms: 200 }, 1);
    const schedule = new CheckSchedule(l, 's');
    assert.deepEqual(schedule.due(500, 10).map((x) => x.item_id), ['c']);
    schedule.later('c', 2000);
    assert.equal(schedule.due(500, 10).length, 0);
    assert.equal(schedule.nextAt(), 1000);
    assert.deepEqual(l.makeDue({ jobId: 'j1' }), ['b']);
    schedule.refresh(); // the run reads the ledger again each round
    assert.deepEqual(schedule.due(500, 10).map((x) => x.item_id), ['b']);
    assert.deepEqual(l.makeDue({ videoId: 'nope' }), []);
    schedule.reset('c');
    assert.deepEqual(schedule.due(500, 10).map((x) => x.item_id), ['b', 'c']);
  } finally {
    l.close();
  }
});

test('batches are kept for an exact resend; keyset pages cover every row once', () => {
  const l = openLedger(file());
  try {
    l.saveBatch({ session_id: 'mig-1', source: 's', method: 'pull', request: '{"a":1}', created_at_ms: 5 });
    l.saveBatch({ session_id: 'mig-1', source: 's', method: 'pull', request: '{"a":2}', created_at_ms: 6 });
    assert.equal(l.getBatch('mig-1')?.request, '{"a":1}');
    l.recordListed('s1', Array.from({ length: 7 }, (_, i) => item(`x${i}`)), 1);
    l.recordListed('s2', Array.from({ length: 4 }, (_, i) => item(`y${i}`)), 1);
    const seen: string[] = [];
    for (let page = l.page(undefined, 3); page.length > 0; ) {
      seen.push(...page.map((r) => `${r.source}/${r.item_id}`));
      const last = page[page.length - 1]!;
      page = l.page({ source: last.source, seq: last.seq }, 3);
    }
    assert.equal(seen.length, 11);
    assert.equal(new Set(seen).size, 11);
  } finally {
    l.close();
  }
});

test('one live migrator per ledger; a dead holder is taken over', () => {
  const path = file();
  const first = openLedger(path, { lock: true, isAlive: () => true });
  first.db.prepare(`UPDATE meta SET value = json_set(value, '$.pid', 999999) WHERE key = 'holder'`).run();
  assert.throws(() => openLedger(path, { lock: true, isAlive: () => true }), LedgerBusyError);
  const second = openLedger(path, { lock: true, isAlive: () => false });
  second.close();
  first.close();
});

test('schema versioned: a newer ledger is refused, a non-ledger is refused read-only', () => {
  const path = file();
  openLedger(path).close();
  const db = new Database(path);
  assert.equal(db.pragma('user_version', { simple: true }), LEDGER_SCHEMA_VERSION);
  db.pragma(`user_version = ${LEDGER_SCHEMA_VERSION + 1}`);
  db.close();
  assert.throws(() => openLedger(path), MigrateUsageError);
  const other = file();
  new Database(other).close();
  assert.throws(() => openLedger(other, { readonly: true }), /not a migration ledger/);
  assert.throws(() => openLedger(join(tmpdir(), 'does-not-exist', 'x.sqlite'), { readonly: true }), MigrateUsageError);
});
