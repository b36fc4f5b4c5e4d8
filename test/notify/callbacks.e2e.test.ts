// Callback configuration, routing and authentication through a real server and real loopback
// receivers: SetMessageCallback/Get/Delete, both signatures verified as a receiver would, the
// UserData override, EventTypeList filtering, and the bodies of the synchronous producers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { openStore, type Store } from '../../src/store/db.js';
import { VodApiError, type VodRpcClient } from '../../src/sdk/rpc-client.js';
import { seedVideo } from '../helpers/seed.js';
import { startReceiver, type Receiver, type ReceivedCallback } from '../helpers/receiver.js';
import type { TestServer } from '../helpers/server.js';
import { clientFor, deliveries, startNotifyServer, waitFor, waitForDeliveries } from './notify-test-kit.js';

let server: TestServer;
let store: Store;
let vod: VodRpcClient;
const receivers: Receiver[] = [];

before(async () => {
  server = await startNotifyServer();
  store = openStore({ databaseUrl: server.db.databaseUrl, dataDir: server.db.dataDir });
  vod = clientFor(server);
});
after(async () => {
  for (const r of receivers) await r.close();
  await store?.close();
  await server?.cleanup();
});

async function receiver(path?: string): Promise<Receiver> {
  const r = await startReceiver(path === undefined ? {} : { path });
  receivers.push(r);
  return r;
}

const code = (expected: string) => (e: unknown) => {
  assert.ok(e instanceof VodApiError, String(e));
  assert.equal(e.code, expected, e.message);
  return true;
};

/** What a receiver does with X-VOD-TIMESTAMP / X-VOD-SIGNATURE (reference §8). */
function verifyVod(req: ReceivedCallback, callbackUrl: string, key: string): boolean {
  const ts = String(req.headers['x-vod-timestamp'] ?? '');
  const sig = String(req.headers['x-vod-signature'] ?? '');
  const expected = createHash('md5').update(`${callbackUrl}|${ts}|${key}`).digest('hex');
  return /^\d{10}$/.test(ts) && Math.abs(Date.now() / 1000 - Number(ts)) < 300 && sig === expected;
}

/** What a receiver does with X-OpenVOD-Signature (docs/events.md). */
function verifyOpenvod(req: ReceivedCallback, key: string): boolean {
  const header = String(req.headers['x-openvod-signature'] ?? '');
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (!m) return false;
  const mac = createHmac('sha256', key).update(`${m[1]}.${req.rawBody}`).digest();
  return timingSafeEqual(mac, Buffer.from(m[2]!, 'hex')) && Math.abs(Date.now() / 1000 - Number(m[1])) < 300;
}

describe('SetMessageCallback / GetMessageCallback / DeleteMessageCallback', () => {
  test('set, read back, change one field, delete', async () => {
    const AppId = 'app-config';
    const empty = await vod.call<{ MessageCallback: Record<string, unknown> }>('GetMessageCallback', { AppId });
    assert.deepEqual(empty.MessageCallback, { AppId });
    await vod.call('SetMessageCallback', {
      AppId, CallbackType: 'HTTP', CallbackURL: 'http://127.0.0.1:9/cb', EventTypeList: 'FileUploadComplete,UploadByURLComplete', AuthSwitch: 'on', AuthKey: 'Key123abc',
    });
    const got = await vod.call<{ MessageCallback: Record<string, unknown> }>('GetMessageCallback', { AppId });
    assert.deepEqual(got.MessageCallback, {
      AppId, CallbackType: 'HTTP', CallbackURL: 'http://127.0.0.1:9/cb', EventTypeList: 'FileUploadComplete,UploadByURLComplete', AuthSwitch: 'on', AuthKey: 'Key123abc',
    });
    await vod.call('SetMessageCallback', { AppId, EventTypeList: 'ALL' });
    const all = await vod.call<{ MessageCallback: Record<string, unknown> }>('GetMessageCallback', { AppId });
    assert.equal(all.MessageCallback.EventTypeList, 'ALL');
    assert.equal(all.MessageCallback.CallbackURL, 'http://127.0.0.1:9/cb');
    await vod.call('SetMessageCallback', { AppId, EventTypeList: '' });
    assert.equal((await vod.call<{ MessageCallback: Record<string, unknown> }>('GetMessageCallback', { AppId })).MessageCallback.EventTypeList, '');
    await vod.call('DeleteMessageCallback', { AppId });
    assert.deepEqual((await vod.call<{ MessageCallback: Record<string, unknown> }>('GetMessageCallback', { AppId })).MessageCallback, { AppId });
    await vod.call('DeleteMessageCallback', { AppId });
  });

  test('the rules: MNS unsupported, URL and AuthKey limits, known event types only', async () => {
    const AppId = 'app-rules';
    await assert.rejects(vod.call('SetMessageCallback', { AppId, CallbackType: 'MNS', MnsEndpoint: 'http://1.mns.cn-shanghai.aliyuncs.com/', MnsQueueName: 'q' }), code('UnsupportedOperation'));
    await assert.rejects(vod.call('SetMessageCallback', { AppId, EventTypeList: 'ALL' }), code('MissingParameter'));
    await assert.rejects(vod.call('SetMessageCallback', { AppId, CallbackURL: `http://hooks.example.com/${'a'.repeat(250)}` }), code('LengthExceededMax'));
    await assert.rejects(vod.call('SetMessageCallback', { AppId, CallbackURL: 'ftp://hooks.example.com/' }), code('InvalidParameter'));
    await assert.rejects(vod.call('SetMessageCallback', { AppId, CallbackURL: 'http://169.254.169.254/latest' }), code('InvalidParameter'));
    await assert.rejects(vod.call('SetMessageCallback', { AppId, CallbackURL: 'http://hooks.example.com/', EventTypeList: 'Bogus' }), code('InvalidParameter'));
    await assert.rejects(vod.call('SetMessageCallback', { AppId, CallbackURL: 'http://hooks.example.com/', AuthSwitch: 'on', AuthKey: 'alllower1' }), code('InvalidParameter'));
    await assert.rejects(vod.call('SetMessageCallback', { AppId, CallbackURL: 'http://hooks.example.com/', AuthSwitch: 'on' }), code('MissingParameter'));
    await assert.rejects(vod.call('SetMessageCallback', { AppId, CallbackURL: 'http://hooks.example.com/', AuthKey: `Ab1${'c'.repeat(30)}` }), code('LengthExceededMax'));
    assert.deepEqual((await vod.call<{ MessageCallback: Record<string, unknown> }>('GetMessageCallback', { AppId })).MessageCallback, { AppId }, 'nothing was saved');
  });
});

describe('delivery', () => {
  test('both signatures verify; the body is the stored event with EventId', async () => {
    const r = await receiver('/hooks/vod?tenant=7');
    const AppId = 'app-auth';
    const AuthKey = 'Sup3rSecretKey';
    await vod.call('SetMessageCallback', { AppId, CallbackType: 'HTTP', CallbackURL: r.url, EventTypeList: 'ALL', AuthSwitch: 'on', AuthKey });
    const v = await seedVideo(store.db, { app_id: AppId, title: 'before' });
    await vod.call('UpdateVideoInfo', { VideoId: v.video_id, Title: 'after' });
    const [d] = await waitForDeliveries(vod, { VideoId: v.video_id }, 1);
    assert.equal(r.received.length, 1);
    const req = r.received[0]!;
    assert.equal(req.path, '/hooks/vod?tenant=7');
    assert.match(String(req.headers['content-type']), /^application\/json/);
    assert.ok(verifyVod(req, r.url, AuthKey), 'X-VOD-SIGNATURE = md5(CallbackURL|timestamp|AuthKey)');
    assert.ok(!verifyVod(req, r.url, 'WrongKey123'));
    assert.ok(verifyOpenvod(req, AuthKey), 'X-OpenVOD-Signature = HMAC-SHA256 over "<t>.<raw body>"');
    assert.equal(req.headers['x-openvod-event-id'], d?.EventId);
    assert.equal(req.rawBody, d?.Body, 'the body is sent exactly as stored');
    const body = req.body ?? {};
    assert.equal(body.EventId, d?.EventId);
    assert.equal(body.EventType, 'MediaBaseChangeComplete');
    assert.match(String(body.EventTime), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    assert.equal(body.Status, 'success');
    assert.equal(body.MediaId, v.video_id);
    assert.equal(body.MediaType, 'video');
    assert.equal(body.OperateMode, 'update');
    assert.deepEqual(body.MediaContent, { Title: JSON.stringify({ OldValue: 'before', NewValue: 'after' }) });
    assert.equal(d?.Attempts, 1);
    assert.equal(d?.LastStatusCode, 200);
    assert.equal(d?.CallbackURL, r.url);

    // AuthSwitch off: no signature headers at all.
    await vod.call('SetMessageCallback', { AppId, AuthSwitch: 'off' });
    await vod.call('UpdateVideoInfo', { VideoId: v.video_id, Title: 'again' });
    await waitForDeliveries(vod, { VideoId: v.video_id }, 2);
    const plain = r.received[1]!;
    for (const h of ['x-vod-timestamp', 'x-vod-signature', 'x-openvod-signature']) assert.equal(plain.headers[h], undefined, h);
  });

  test('UserData.MessageCallback.CallbackURL overrides the app URL; Extend is echoed', async () => {
    const global = await receiver('/global');
    const own = await receiver('/own');
    const AppId = 'app-override';
    const AuthKey = 'Override123Key';
    await vod.call('SetMessageCallback', { AppId, CallbackURL: global.url, AuthSwitch: 'on', AuthKey });
    const userData = JSON.stringify({ MessageCallback: JSON.stringify({ CallbackURL: own.url }), Extend: { orderId: '42' } });
    const routed = await seedVideo(store.db, { app_id: AppId, user_data: userData });
    const plain = await seedVideo(store.db, { app_id: AppId });
    await vod.call('UpdateVideoInfo', { VideoId: routed.video_id, Title: 'routed' });
    await vod.call('UpdateVideoInfo', { VideoId: plain.video_id, Title: 'plain' });
    const [d] = await waitForDeliveries(vod, { VideoId: routed.video_id }, 1);
    await waitForDeliveries(vod, { VideoId: plain.video_id }, 1);
    assert.equal(d?.CallbackURL, own.url);
    assert.deepEqual(own.received.map((x) => x.eventId), [d?.EventId]);
    assert.deepEqual(global.received.map((x) => x.body?.MediaId), [plain.video_id], 'the global receiver never saw the overridden media');
    const req = own.received[0]!;
    assert.equal(req.body?.Extend, '{"orderId":"42"}');
    assert.ok(verifyVod(req, own.url, AuthKey), 'signed with the URL it was sent to');
    assert.ok(verifyOpenvod(req, AuthKey));
    assert.equal(global.received[0]?.body?.Extend, undefined);
  });

  test('the override binds to the media\'s later events, DeleteVideo included', async () => {
    const global = await receiver('/global-del');
    const own = await receiver('/own-del');
    const AppId = 'app-override-delete';
    await vod.call('SetMessageCallback', { AppId, CallbackURL: global.url });
    const v = await seedVideo(store.db, { app_id: AppId, user_data: JSON.stringify({ MessageCallback: { CallbackURL: own.url }, Extend: 'x' }) });
    await vod.call('DeleteVideo', { VideoIds: v.video_id });
    const ds = await waitForDeliveries(vod, { VideoId: v.video_id }, 2);
    assert.deepEqual(ds.map((x) => x.CallbackURL), [own.url, own.url]);
    assert.deepEqual(own.received.map((x) => x.body?.Extend), ['x', 'x']);
  });

  test('EventTypeList filters; an app without a configuration gets nothing (logged as skipped)', async () => {
    const r = await receiver();
    const AppId = 'app-filter';
    await vod.call('SetMessageCallback', { AppId, CallbackURL: r.url, EventTypeList: 'DeleteMediaComplete' });
    const v = await seedVideo(store.db, { app_id: AppId, title: 'to delete', cate_id: null });
    await vod.call('DeleteVideo', { VideoIds: v.video_id });
    const ds = await waitForDeliveries(vod, { VideoId: v.video_id }, 2, (d) => d.Status !== 'pending');
    assert.deepEqual(ds.map((d) => [d.EventType, d.Status]), [['MediaBaseChangeComplete', 'skipped'], ['DeleteMediaComplete', 'delivered']]);
    assert.match(ds[0]?.LastError ?? '', /not selected/);
    assert.equal(r.received.length, 1);
    const body = r.received[0]?.body ?? {};
    assert.deepEqual(Object.keys(body).sort(), ['DeleteType', 'EventId', 'EventTime', 'EventType', 'MediaId', 'MediaType', 'Status']);
    assert.equal(body.DeleteType, 'all');
    assert.equal(body.MediaType, 'video');

    const lone = await seedVideo(store.db, { app_id: 'app-unconfigured' });
    await vod.call('UpdateVideoInfo', { VideoId: lone.video_id, Title: 'nobody listens' });
    const [skipped] = await waitForDeliveries(vod, { VideoId: lone.video_id }, 1, (d) => d.Status === 'skipped');
    assert.match(skipped?.LastError ?? '', /no callback is configured/);
    assert.equal(skipped?.Attempts, 0);
  });

  test('ListEventDeliveries filters and pages; RedeliverEvents by EventId', async () => {
    const r = await receiver();
    const AppId = 'app-log';
    await vod.call('SetMessageCallback', { AppId, CallbackURL: r.url });
    const v = await seedVideo(store.db, { app_id: AppId });
    for (const t of ['one', 'two', 'three']) await vod.call('UpdateVideoInfo', { VideoId: v.video_id, Title: t });
    const ds = await waitForDeliveries(vod, { VideoId: v.video_id }, 3);
    const page = await vod.call<{ Total: number; PageNo: number; PageSize: number; DeliveryList: Array<{ EventId: string }> }>('ListEventDeliveries', {
      AppId, EventType: 'MediaBaseChangeComplete', Status: 'delivered', PageSize: 2, PageNo: 2, SortBy: 'CreationTime:Asc',
    });
    assert.equal(page.Total, 3);
    assert.deepEqual(page.DeliveryList.map((d) => d.EventId), [ds[2]?.EventId]);
    assert.equal((await deliveries(vod, { AppId, Status: 'dead' })).length, 0);
    assert.equal((await deliveries(vod, { AppId, StartTime: '2099-01-01T00:00:00Z' })).length, 0);
    await assert.rejects(vod.call('ListEventDeliveries', { Status: 'lost' }), code('InvalidParameter'));
    await assert.rejects(vod.call('ListEventDeliveries', { StartTime: 'yesterday' }), code('InvalidParameter'));
    await assert.rejects(vod.call('RedeliverEvents', {}), code('MissingParameter'));

    const again = await vod.call<Record<string, unknown>>('RedeliverEvents', { EventIds: `${ds[0]?.EventId},nope` });
    assert.deepEqual(again.RedeliveredEventIds, [ds[0]?.EventId]);
    assert.deepEqual(again.NonExistEventIds, ['nope']);
    await waitFor(() => r.requestsFor(ds[0]!.EventId).length === 2, 30_000);
    assert.equal(r.requestsFor(ds[0]!.EventId)[1]?.rawBody, r.requestsFor(ds[0]!.EventId)[0]?.rawBody, 'a redelivery sends the same body (same EventId)');
  });
});
