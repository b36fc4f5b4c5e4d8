// The callback receiver on its own: signatures (reference §8 test vector, OpenVOD's body HMAC),
// refusals, and the ids it hands on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { authHeaders, vodSignature } from '../../src/notify/callback-auth.js';
import { checkCallbackAuth, parseListen, startCallbackReceiver } from '../../src/migrate/callback-receiver.js';

test('X-VOD-SIGNATURE: the reference test vector', () => {
  const url = 'https://www.example.com/your/callback';
  assert.equal(vodSignature(url, 1519375990, 'test123'), 'c72b60894140fa98920f1279219b7ed4');
  assert.equal(checkCallbackAuth({ 'x-vod-timestamp': '1519375990', 'x-vod-signature': 'c72b60894140fa98920f1279219b7ed4' }, '{}', url, 'test123'), undefined);
  assert.match(checkCallbackAuth({ 'x-vod-timestamp': '1519375990', 'x-vod-signature': 'c72b60894140fa98920f1279219b7ed5' }, '{}', url, 'test123') ?? '', /does not match/);
  assert.match(checkCallbackAuth({}, '{}', url, 'test123') ?? '', /missing/);
  assert.equal(checkCallbackAuth({}, '{}', url, undefined), undefined, 'no key, no check');
});

test('the receiver accepts signed events, refuses forged ones, and hands on JobId/VideoId', async () => {
  const receipts: boolean[] = [];
  const rx = await startCallbackReceiver({ listen: '127.0.0.1:0', authKey: 'Key12345abc', onReceipt: (r) => receipts.push(r.accepted) });
  const seen: Array<{ jobId?: string; videoId?: string }> = [];
  rx.subscribe((ids) => seen.push(ids));
  try {
    const body = JSON.stringify({ EventType: 'UploadByURLComplete', JobId: 'job-1', VideoId: 'vid-1', Status: 'success' });
    const good = authHeaders({ callbackUrl: rx.url, rawBody: body, authKey: 'Key12345abc', nowMs: Date.now() });
    assert.equal((await fetch(rx.url, { method: 'POST', headers: { ...good, 'content-type': 'application/json' }, body })).status, 200);
    const forged = authHeaders({ callbackUrl: rx.url, rawBody: body, authKey: 'WrongKey999x', nowMs: Date.now() });
    assert.equal((await fetch(rx.url, { method: 'POST', headers: forged, body })).status, 401);
    // A valid X-VOD-SIGNATURE but a body changed on the way: OpenVOD's body signature catches it.
    assert.equal((await fetch(rx.url, { method: 'POST', headers: good, body: body.replace('job-1', 'job-2') })).status, 401);
    assert.equal((await fetch(rx.url, { method: 'POST', body })).status, 401);
    assert.equal((await fetch(rx.url)).status, 405);
    assert.deepEqual(seen, [{ jobId: 'job-1', videoId: 'vid-1' }]);
    assert.deepEqual(receipts, [true, false, false, false, false]);
    assert.deepEqual(rx.stats, { received: 5, accepted: 1, rejected: 4 });
  } finally {
    await rx.close();
  }
});

test('listen addresses', () => {
  assert.deepEqual(parseListen('127.0.0.1:9000'), { host: '127.0.0.1', port: 9000 });
  assert.deepEqual(parseListen('[::1]:0'), { host: '::1', port: 0 });
  assert.throws(() => parseListen('9000'), /host:port/);
});
