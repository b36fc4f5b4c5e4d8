// `openvod serve` as a user runs it: root key generation, health, graceful SIGTERM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { VodRpcClient } from '../../src/sdk/rpc-client.js';
import { createTestDatabase } from '../helpers/store.js';
import { startTestServer } from '../helpers/server.js';

test('first start generates and prints a root key once; later starts reuse it; SIGTERM exits cleanly', async () => {
  const db = await createTestDatabase();
  try {
    const first = await startTestServer({ db, noRootKey: true });
    const printed = /AccessKeyId:\s+(\S+)\s+AccessKeySecret:\s+(\S+)/.exec(first.output());
    assert.ok(printed, `root key not printed:\n${first.output()}`);
    const [, id = '', secret = ''] = printed;
    const saved = JSON.parse(readFileSync(join(db.dataDir, 'root-access-key.json'), 'utf8')) as { AccessKeyId: string; AccessKeySecret: string };
    assert.deepEqual(saved, { AccessKeyId: id, AccessKeySecret: secret });
    assert.equal(statSync(join(db.dataDir, 'root-access-key.json')).mode & 0o777, 0o600);
    const vod = new VodRpcClient({ endpoint: first.url, accessKeyId: id, accessKeySecret: secret });
    const list = await vod.call<{ Total: number }>('GetVideoList');
    assert.equal(list.Total, 0);
    assert.equal(await first.stop(), 0);

    const second = await startTestServer({ db, noRootKey: true });
    assert.doesNotMatch(second.output(), /AccessKeySecret/);
    const again = new VodRpcClient({ endpoint: second.url, accessKeyId: id, accessKeySecret: secret });
    assert.equal((await again.call<{ Total: number }>('GetVideoList')).Total, 0);
    // The secret never reaches the logs.
    assert.doesNotMatch(second.output(), new RegExp(secret));
    assert.equal(await second.stop(), 0);
  } finally {
    await db.cleanup();
  }
});

test('bad flags and settings are all reported together, exit status 2', async () => {
  const { spawnSync } = await import('node:child_process');
  const { BIN } = await import('../helpers/server.js');
  const r = spawnSync(process.execPath, [BIN, 'serve', '--port', 'eighty', '--public-url', 'not a url', '--role', 'boss'], {
    env: { ...process.env, OPENVOD_ACCESS_KEY_ID: 'only-the-id', OPENVOD_ACCESS_KEY_SECRET: '' },
    encoding: 'utf8',
  });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--port/);
  assert.match(r.stderr, /--public-url/);
  assert.match(r.stderr, /--role/);
  assert.match(r.stderr, /OPENVOD_ACCESS_KEY_ID and OPENVOD_ACCESS_KEY_SECRET/);
});
