import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Config, ConfigError, loadConfig } from './config.js';

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

// The on/off switches: each on by default, off from the file or its variable (which wins), and
// anything but a boolean (file) or 1/0/true/false (variable) refused, naming it.
const SWITCHES = [
  { name: 'media.preloadLibraries', variable: 'OPENVOD_MEDIA_PRELOAD_LIBRARIES', file: (on: unknown) => ({ media: { preloadLibraries: on } }), read: (c: Config) => c.media.preloadLibraries },
  { name: 'media.zygote', variable: 'OPENVOD_MEDIA_ZYGOTE', file: (on: unknown) => ({ media: { zygote: on } }), read: (c: Config) => c.media.zygote },
  { name: 'directWrites', variable: 'OPENVOD_DIRECT_WRITES', file: (on: unknown) => ({ directWrites: on }), read: (c: Config) => c.directWrites },
  { name: 'nativeMd5', variable: 'OPENVOD_NATIVE_MD5', file: (on: unknown) => ({ nativeMd5: on }), read: (c: Config) => c.nativeMd5 },
];
for (const sw of SWITCHES) {
  test(`${sw.name}: on by default; off from the file or ${sw.variable} (which wins); anything else refused`, () => {
    assert.equal(sw.read(loadConfig(base)), true);
    const dir = mkdtempSync(join(tmpdir(), 'openvod-config-'));
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify(sw.file(false)));
    assert.equal(sw.read(loadConfig({ flags: { config: file }, env: {}, cwd: dir })), false);
    assert.equal(sw.read(loadConfig({ flags: { config: file }, env: { [sw.variable]: '1' }, cwd: dir })), true);
    assert.equal(sw.read(loadConfig({ ...base, env: { [sw.variable]: '0' } })), false);
    assert.equal(sw.read(loadConfig({ ...base, env: { [sw.variable]: 'false' } })), false);
    assert.throws(() => loadConfig({ ...base, env: { [sw.variable]: 'yes' } }), (e: unknown) => e instanceof ConfigError && e.problems.some((p) => p.includes(sw.variable)));
    writeFileSync(file, JSON.stringify(sw.file('no')));
    const key = sw.name.split('.').at(-1) as string;
    assert.throws(() => loadConfig({ flags: { config: file }, env: {}, cwd: dir }), (e: unknown) => e instanceof ConfigError && e.problems.some((p) => p.includes(key)));
  });
}
