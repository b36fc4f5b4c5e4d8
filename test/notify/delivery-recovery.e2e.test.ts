// Failed deliveries through a real server and real loopback receivers: retries until a 200, a
// receiver that is down and comes back (everything arrives, in order), and dead deliveries made
// visible and redelivered through the API and `openvod events`.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { openStore, type Store } from '../../src/store/db.js';
import type { VodRpcClient } from '../../src/sdk/rpc-client.js';
import type { DeliveryView } from '../../src/notify/delivery-log.service.js';
import { seedVideo } from '../helpers/seed.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { BIN, freePort, type TestServer } from '../helpers/server.js';
import { clientFor, deliveries, notifyConfigFile, startNotifyServer, waitFor, waitForDeliveries } from './notify-test-kit.js';

const servers: TestServer[] = [];
const stores: Store[] = [];
const receivers: Receiver[] = [];

after(async () => {
  for (const r of receivers) await r.close();
  for (const s of stores) await s.close();
  for (const s of servers) await s.cleanup();
});

async function setup(timings?: Parameters<typeof startNotifyServer>[0]): Promise<{ server: TestServer; store: Store; vod: VodRpcClient }> {
  const server = await startNotifyServer(timings);
  servers.push(server);
  const store = openStore({ databaseUrl: server.db.databaseUrl, dataDir: server.db.dataDir });
  stores.push(store);
  return { server, store, vod: clientFor(server) };
}

async function receiver(...args: Parameters<typeof startReceiver>): Promise<Receiver> {
  const r = await startReceiver(...args);
  receivers.push(r);
  return r;
}

test('500 twice, then 200: delivered, once, after three attempts of the same body', async () => {
  const { store, vod } = await setup();
  const tries = new Map<string, number>();
  const r = await receiver({
    respond: (req) => {
      const n = (tries.get(req.eventId ?? '') ?? 0) + 1;
      tries.set(req.eventId ?? '', n);
      return n <= 2 ? 500 : 200;
    },
  });
  await vod.call('SetMessageCallback', { CallbackURL: r.url, AuthSwitch: 'on', AuthKey: 'Retry123Key' });
  const v = await seedVideo(store.db);
  await vod.call('UpdateVideoInfo', { VideoId: v.video_id, Title: 'retried' });
  const [d] = await waitForDeliveries(vod, { VideoId: v.video_id }, 1);
  assert.equal(d?.Attempts, 3);
  assert.equal(d?.LastStatusCode, 200);
  const reqs = r.requestsFor(d!.EventId);
  assert.deepEqual(reqs.map((x) => x.answered), [500, 500, 200]);
  assert.ok(reqs.every((x) => x.rawBody === reqs[0]?.rawBody), 'the same bytes every time');
  assert.equal(r.delivered().length, 1);
});

test('a receiver that is down, then comes back, gets every event, in order per video', async () => {
  const { store, vod } = await setup();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/callback`;
  await vod.call('SetMessageCallback', { CallbackURL: url });
  const videos = await Promise.all([1, 2, 3].map((i) => seedVideo(store.db, { title: `down ${i}` })));
  for (const step of ['a', 'b']) {
    for (const v of videos) await vod.call('UpdateVideoInfo', { VideoId: v.video_id, Title: `${v.title} ${step}` });
  }
  await vod.call('DeleteVideo', { VideoIds: videos.map((v) => v.video_id).join(',') });
  // Each video's first event has failed at least twice, and its later ones have not been tried.
  await waitFor(async () => {
    const ds = await deliveries(vod, {});
    return ds.length === 12 && videos.every((v) => {
      const mine = ds.filter((d) => d.MediaId === v.video_id);
      return mine[0]!.Attempts >= 2 && mine.slice(1).every((d) => d.Attempts === 0 && d.Status === 'pending');
    });
  }, 60_000, () => 'the first deliveries did not fail twice');
  const r = await receiver({ port });
  const all = await waitForDeliveries(vod, {}, 12);
  assert.equal(r.delivered().length, 12);
  assert.equal(new Set(r.delivered().map((x) => x.eventId)).size, 12, 'each event once');
  for (const v of videos) {
    const expected = all.filter((d) => d.MediaId === v.video_id).map((d) => d.EventId);
    const got = r.delivered().filter((x) => x.body?.MediaId === v.video_id).map((x) => x.eventId);
    assert.deepEqual(got, expected, `order for ${v.video_id}`);
    assert.deepEqual(all.filter((d) => d.MediaId === v.video_id).map((d) => d.EventType),
      ['MediaBaseChangeComplete', 'MediaBaseChangeComplete', 'MediaBaseChangeComplete', 'DeleteMediaComplete']);
  }
});

function cli(server: TestServer, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, OPENVOD_LOG_LEVEL: 'warn' };
  if (server.db.databaseUrl) env.OPENVOD_DATABASE_URL = server.db.databaseUrl;
  else delete env.OPENVOD_DATABASE_URL;
  const r = spawnSync(process.execPath, [BIN, 'events', ...args, '--data-dir', server.db.dataDir, '--config', notifyConfigFile()], { env, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('past the horizon a delivery is dead, listed, and redelivered through the API and the CLI', async () => {
  // The receiver lives in this process, and cli() blocks it (spawnSync) while the CLI runs: a
  // redelivery made by the CLI is answered only once it returns, so the delivery timeout must
  // outlast a slow CLI start, or the attempt times out and, past the short horizon, goes dead.
  const { server, store, vod } = await setup({ timings: { pollMs: 50, retryDelaysMs: [100], backoffBaseMs: 200, backoffCapMs: 300, retryHorizonMs: 1_000, timeoutMs: 30_000, leaseMs: 40_000 } });
  let healthy = false;
  const r = await receiver({ respond: () => (healthy ? 200 : 503) });
  await vod.call('SetMessageCallback', { CallbackURL: r.url });
  const [a, b] = await Promise.all([seedVideo(store.db), seedVideo(store.db)]);
  await vod.call('UpdateVideoInfo', { VideoId: a!.video_id, Title: 'dead a' });
  await vod.call('UpdateVideoInfo', { VideoId: b!.video_id, Title: 'dead b' });
  const dead = await waitForDeliveries(vod, { Status: 'dead' }, 2, (d) => d.Status === 'dead');
  assert.ok(dead.every((d) => d.Attempts >= 2 && d.LastStatusCode === 503 && /HTTP 503/.test(d.LastError ?? '')));

  const listed = cli(server, ['list', '--status', 'dead', '--json']);
  assert.equal(listed.status, 0, listed.stderr);
  const lines = listed.stdout.trim().split('\n').map((l) => JSON.parse(l) as DeliveryView);
  assert.deepEqual(lines.map((l) => l.EventId).sort(), dead.map((d) => d.EventId).sort());
  assert.equal(cli(server, ['list', '--status', 'lost']).status, 2);

  healthy = true;
  const one = await vod.call<{ RedeliveredCount: number }>('RedeliverEvents', { EventIds: dead[0]!.EventId });
  assert.equal(one.RedeliveredCount, 1);
  await waitForDeliveries(vod, { EventIds: dead[0]!.EventId }, 1);

  const rest = cli(server, ['redeliver', '--all-dead']);
  assert.equal(rest.status, 0, rest.stderr);
  assert.match(rest.stdout, /redelivering 1 dead/);
  await waitForDeliveries(vod, {}, 2);
  assert.equal(r.delivered().length, 2);
  const byId = cli(server, ['redeliver', dead[1]!.EventId, 'no-such-event']);
  assert.equal(byId.status, 1);
  assert.match(byId.stdout, /redelivering/);
  assert.match(byId.stdout, /no-such-event\tfailed/);
  await waitFor(() => r.delivered().length === 3, 30_000);
});
