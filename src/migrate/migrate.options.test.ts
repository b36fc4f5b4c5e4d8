import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MigrateUsageError } from './migrate.errors.js';
import { parseMigrateFlags, parseRates, parseSize } from './migrate.options.js';
import { exitCodeFor } from './report.js';
import { statusLine } from './progress.js';
import { ITEM_STATES, type ItemState, type StateCounts } from './ledger/ledger.types.js';

const need = { needTarget: true };
const base = { source: 'urls:x.txt', state: 'l.sqlite', endpoint: 'http://127.0.0.1:8080/' };

test('keys from flags, else ALIBABA_CLOUD_* (then OPENVOD_*); defaults respect the published QPS', () => {
  const c = parseMigrateFlags(base, { ALIBABA_CLOUD_ACCESS_KEY_ID: 'id', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'secret', OPENVOD_ACCESS_KEY_ID: 'o' }, need);
  assert.deepEqual(c.credentials, { accessKeyId: 'id', accessKeySecret: 'secret' });
  assert.equal(c.endpoint, 'http://127.0.0.1:8080');
  assert.equal(c.rates.GetURLUploadInfos, 100);
  assert.equal(c.rates.RegisterMedia, 50);
  assert.equal(c.run.maxInFlight, 50);
  assert.equal(c.run.pollIntervalMs, 5000);
  assert.ok(Object.isFrozen(c));
  const f = parseMigrateFlags({ ...base, accessKeyId: 'a', accessKeySecret: 'b', rps: ['*=7', 'GetURLUploadInfos=20'], callbackListen: '127.0.0.1:0' }, {}, need);
  assert.equal(f.credentials?.accessKeyId, 'a');
  assert.equal(f.rates.UploadMediaByURL, 7);
  assert.equal(f.rates.GetURLUploadInfos, 20);
  assert.equal(f.defaultRate, 7);
  assert.equal(f.run.pollIntervalMs, 60_000, 'callbacks: polling is the safety net');
});

test('every bad value is reported together', () => {
  try {
    parseMigrateFlags({ state: 'l', endpoint: 'ftp://x', method: 'copy', maxInFlight: '0', rps: ['x'], rewrite: ['(=y'], minSize: '3 parsecs', modifiedAfter: 'yesterday', callbackUrl: 'http://x' }, {}, need);
    assert.fail('should throw');
  } catch (e) {
    assert.ok(e instanceof MigrateUsageError);
    for (const what of ['--source', '--endpoint', '--method', 'access key', '--max-in-flight', '--rps', '--rewrite', '--min-size', '--modified-after', '--callback-listen']) {
      assert.match(e.message, new RegExp(what.replace(/[-]/g, '\\-')), what);
    }
  }
  assert.doesNotThrow(() => parseMigrateFlags({ source: 'urls:x', state: 'l', dryRun: true }, {}, { needTarget: false }));
});

test('sizes and rates', () => {
  assert.equal(parseSize('1048576'), 1048576);
  assert.equal(parseSize('10M'), 10 * 1024 * 1024);
  assert.equal(parseSize('1.5GiB'), 1.5 * 1024 ** 3);
  assert.equal(parseSize('x'), undefined);
  assert.deepEqual(parseRates(['A=1', 'B=0']).problems.length, 1);
});

const counts = (s: Partial<Record<ItemState, number>>): StateCounts => {
  const byState = Object.fromEntries(ITEM_STATES.map((k) => [k, s[k] ?? 0])) as Record<ItemState, number>;
  return { total: Object.values(byState).reduce((a, b) => a + b, 0), byState, failuresByCode: {}, succeededBytes: 0 };
};

test('exit status: 0 only when every item succeeded or was skipped', () => {
  assert.equal(exitCodeFor({ outcome: 'done', counts: counts({ succeeded: 3, skipped: 1 }) }), 0);
  assert.equal(exitCodeFor({ outcome: 'done', counts: counts({ succeeded: 3, failed: 1 }) }), 1);
  assert.equal(exitCodeFor({ outcome: 'done', counts: counts({ succeeded: 3 }), listingError: new Error('x') }), 1);
  assert.equal(exitCodeFor({ outcome: 'stopped', counts: counts({ pending: 3 }) }), 1);
  assert.equal(exitCodeFor({ outcome: 'interrupted', counts: counts({ pending: 3 }) }), 130);
});

test('the status line', () => {
  const line = statusLine({ counts: counts({ succeeded: 40, failed: 2, submitted: 8, pending: 50 }), startCounts: counts({ pending: 100 }), listingDone: true, bytes: 42 * 1024 * 1024, elapsedS: 10 });
  assert.equal(line, '42/100 done · 2 failed · 8 in flight · 42.0 MiB · 4.2 MiB/s · 4.2 items/s · ETA 0:14');
});
