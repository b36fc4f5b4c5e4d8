// Callback URLs pass the SSRF guard: with private networks not allowed (the default), a UserData
// override pointing at loopback is refused at connect time — nothing reaches the receiver — and
// the delivery is dead at once (retrying cannot help), listed with the reason.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { openStore, type Store } from '../../src/store/db.js';
import { VodApiError, type VodRpcClient } from '../../src/sdk/rpc-client.js';
import { seedVideo } from '../helpers/seed.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import type { TestServer } from '../helpers/server.js';
import { clientFor, startNotifyServer, waitForDeliveries } from './notify-test-kit.js';

let server: TestServer;
let store: Store;
let vod: VodRpcClient;
let r: Receiver;

before(async () => {
  server = await startNotifyServer({ env: { OPENVOD_ALLOW_PRIVATE_NETWORKS: '0' } });
  store = openStore({ databaseUrl: server.db.databaseUrl, dataDir: server.db.dataDir });
  vod = clientFor(server);
  r = await startReceiver();
});
after(async () => {
  await r?.close();
  await store?.close();
  await server?.cleanup();
});

test('loopback callback URLs are refused: at SetMessageCallback, and at delivery for overrides', async () => {
  await assert.rejects(vod.call('SetMessageCallback', { CallbackURL: r.url }), (e: unknown) => e instanceof VodApiError && e.code === 'InvalidParameter');
  await vod.call('SetMessageCallback', { CallbackURL: 'http://callbacks.example.invalid/vod' });
  const v = await seedVideo(store.db, { user_data: JSON.stringify({ MessageCallback: { CallbackURL: r.url } }) });
  await vod.call('UpdateVideoInfo', { VideoId: v.video_id, Title: 'blocked' });
  await vod.call('UpdateVideoInfo', { VideoId: v.video_id, Title: 'blocked again' });
  const ds = await waitForDeliveries(vod, { VideoId: v.video_id }, 2, (d) => d.Status === 'dead');
  for (const d of ds) {
    assert.equal(d.Attempts, 1, 'not retried');
    assert.equal(d.CallbackURL, r.url);
    assert.match(d.LastError ?? '', /URLBlocked/);
  }
  assert.equal(r.received.length, 0);
});
