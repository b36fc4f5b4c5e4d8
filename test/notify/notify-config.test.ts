// The `notify` section of the config file: ApsaraVideo-like defaults (5 s timeout, first retries
// within seconds), a horizon of at least a day, every bad value reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/config.js';

function withFile(content: unknown) {
  const file = join(mkdtempSync(join(tmpdir(), 'openvod-notify-config-')), 'c.json');
  writeFileSync(file, JSON.stringify(content));
  return { flags: { config: file }, env: {}, cwd: '/srv' };
}

test('defaults', () => {
  const n = loadConfig({ flags: {}, env: {}, cwd: '/srv' }).notify;
  assert.equal(n.timeoutMs, 5_000);
  assert.deepEqual(n.retryDelaysMs, [1_000, 2_000, 5_000]);
  assert.ok(n.retryHorizonMs >= 24 * 3600 * 1000);
  assert.ok(n.leaseMs > n.timeoutMs);
  assert.ok(Object.isFrozen(n) && Object.isFrozen(n.retryDelaysMs));
});

test('file values, and the problems reported together', () => {
  const n = loadConfig(withFile({ notify: { retryDelaysMs: [100], retryHorizonMs: 7 * 86_400_000, concurrency: 4 } })).notify;
  assert.deepEqual(n.retryDelaysMs, [100]);
  assert.equal(n.retryHorizonMs, 7 * 86_400_000);
  assert.equal(n.concurrency, 4);
  assert.throws(() => loadConfig(withFile({ notify: { timeoutMs: 40_000, leaseMs: 30_000, backoffBaseMs: 10, backoffCapMs: 5 } })), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.equal(e.problems.length, 2, e.message);
    return true;
  });
  assert.throws(() => loadConfig(withFile({ notify: { bogus: 1 } })), ConfigError);
});
