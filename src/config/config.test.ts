import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './config.js';

const base = { flags: {}, env: {}, cwd: '/srv' };

test('defaults follow the contract and the result is frozen', () => {
  const c = loadConfig(base);
  assert.equal(c.dataDir, '/srv/data');
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.port, 8080);
  assert.equal(c.publicUrl, 'http://127.0.0.1:8080');
  assert.equal(c.role, 'all');
  assert.equal(c.databaseUrl, undefined);
  assert.equal(c.allowPrivateNetworks, false);
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.worker));
});

test('flags win over the file; env is read here only', () => {
  const dir = mkdtempSync(join(tmpdir(), 'openvod-config-'));
  const file = join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({ port: 9000, host: '0.0.0.0', playback: { authTtlS: 60 }, worker: { concurrency: 8 } }));
  const c = loadConfig({ flags: { config: file, port: '9100' }, env: { OPENVOD_ALLOW_PRIVATE_NETWORKS: '1', OPENVOD_DATABASE_URL: 'postgres://x@h/db' }, cwd: dir });
  assert.equal(c.port, 9100);
  assert.equal(c.publicUrl, 'http://127.0.0.1:9100');
  assert.equal(c.playback.authTtlS, 60);
  assert.equal(c.worker.concurrency, 8);
  assert.equal(c.allowPrivateNetworks, true);
  assert.equal(c.databaseUrl, 'postgres://x@h/db');
});

test('every problem is reported at once', () => {
  const dir = mkdtempSync(join(tmpdir(), 'openvod-config-'));
  const file = join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({ port: 'x', worker: { concurrency: 0 }, bogus: true }));
  try {
    loadConfig({ flags: { config: file, publicUrl: 'ftp://nope' }, env: { OPENVOD_DATABASE_URL: 'mysql://x', OPENVOD_ACCESS_KEY_ID: 'abc' }, cwd: dir });
    assert.fail('expected ConfigError');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    const text = err.problems.join('\n');
    for (const needle of ['port', 'worker.concurrency', 'bogus', '--public-url', 'OPENVOD_DATABASE_URL', 'must be set together']) {
      assert.ok(text.includes(needle), `missing "${needle}" in:\n${text}`);
    }
  }
});

test('media.tools: path by default; bundled from the file or OPENVOD_MEDIA_TOOLS (which wins); anything else refused', () => {
  assert.equal(loadConfig(base).media.tools, 'path');
  const dir = mkdtempSync(join(tmpdir(), 'openvod-config-'));
  const file = join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({ media: { tools: 'bundled' } }));
  assert.equal(loadConfig({ flags: { config: file }, env: {}, cwd: dir }).media.tools, 'bundled');
  assert.equal(loadConfig({ flags: { config: file }, env: { OPENVOD_MEDIA_TOOLS: 'path' }, cwd: dir }).media.tools, 'path');
  assert.equal(loadConfig({ ...base, env: { OPENVOD_MEDIA_TOOLS: 'bundled' } }).media.tools, 'bundled');
  writeFileSync(file, JSON.stringify({ media: { tools: 'static' } }));
  try {
    loadConfig({ flags: { config: file }, env: { OPENVOD_MEDIA_TOOLS: 'fast' }, cwd: dir });
    assert.fail('expected ConfigError');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    const text = err.problems.join('\n');
    assert.match(text, /OPENVOD_MEDIA_TOOLS: must be path or bundled, not "fast"/);
    assert.match(text, /media\.tools/);
  }
});

test('media.preloadLibraries: on by default; off from the file or OPENVOD_MEDIA_PRELOAD_LIBRARIES (which wins); anything else refused', () => {
  assert.equal(loadConfig(base).media.preloadLibraries, true);
  const dir = mkdtempSync(join(tmpdir(), 'openvod-config-'));
  const file = join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({ media: { preloadLibraries: false } }));
  assert.equal(loadConfig({ flags: { config: file }, env: {}, cwd: dir }).media.preloadLibraries, false);
  assert.equal(loadConfig({ flags: { config: file }, env: { OPENVOD_MEDIA_PRELOAD_LIBRARIES: '1' }, cwd: dir }).media.preloadLibraries, true);
  assert.equal(loadConfig({ ...base, env: { OPENVOD_MEDIA_PRELOAD_LIBRARIES: '0' } }).media.preloadLibraries, false);
  assert.throws(() => loadConfig({ ...base, env: { OPENVOD_MEDIA_PRELOAD_LIBRARIES: 'yes' } }), (e: unknown) => e instanceof ConfigError && e.problems.some((p) => p.includes('OPENVOD_MEDIA_PRELOAD_LIBRARIES')));
  writeFileSync(file, JSON.stringify({ media: { preloadLibraries: 'no' } }));
  assert.throws(() => loadConfig({ flags: { config: file }, env: {}, cwd: dir }), (e: unknown) => e instanceof ConfigError && e.problems.some((p) => p.includes('preloadLibraries')));
});

test('directWrites: on by default; off from the file or OPENVOD_DIRECT_WRITES (which wins); anything else refused', () => {
  assert.equal(loadConfig(base).directWrites, true);
  const dir = mkdtempSync(join(tmpdir(), 'openvod-config-'));
  const file = join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({ directWrites: false }));
  assert.equal(loadConfig({ flags: { config: file }, env: {}, cwd: dir }).directWrites, false);
  assert.equal(loadConfig({ flags: { config: file }, env: { OPENVOD_DIRECT_WRITES: '1' }, cwd: dir }).directWrites, true);
  assert.equal(loadConfig({ ...base, env: { OPENVOD_DIRECT_WRITES: '0' } }).directWrites, false);
  assert.throws(() => loadConfig({ ...base, env: { OPENVOD_DIRECT_WRITES: 'yes' } }), (e: unknown) => e instanceof ConfigError && e.problems.some((p) => p.includes('OPENVOD_DIRECT_WRITES')));
  writeFileSync(file, JSON.stringify({ directWrites: 'no' }));
  assert.throws(() => loadConfig({ flags: { config: file }, env: {}, cwd: dir }), (e: unknown) => e instanceof ConfigError && e.problems.some((p) => p.includes('directWrites')));
});
