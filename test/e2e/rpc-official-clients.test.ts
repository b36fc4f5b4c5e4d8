// The official Alibaba clients, unchanged but for endpoint and keys, against a started server.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import OpenApi, { Config, OpenApiRequest, Params } from '@alicloud/openapi-client';
import RPCClient from '@alicloud/pop-core';
import { RuntimeOptions } from '@alicloud/tea-util';
import { openStore, type Store } from '../../src/store/db.js';
import { VodApiError, VodRpcClient } from '../../src/sdk/rpc-client.js';
import { seedVideo } from '../helpers/seed.js';
import { BIN, startTestServer, TEST_KEY_ID, TEST_KEY_SECRET, type TestServer, waitFor } from '../helpers/server.js';

let server: TestServer;
let store: Store;

before(async () => {
  server = await startTestServer();
  store = openStore({ databaseUrl: server.db.databaseUrl, dataDir: server.db.dataDir });
});
after(async () => {
  await store?.close();
  await server?.cleanup();
});

const popCore = (secret = TEST_KEY_SECRET, keyId = TEST_KEY_ID) =>
  new RPCClient({ accessKeyId: keyId, accessKeySecret: secret, endpoint: server.url, apiVersion: '2017-03-21' });

function openApi(secret = TEST_KEY_SECRET) {
  const client = new OpenApi.default(new Config({ accessKeyId: TEST_KEY_ID, accessKeySecret: secret, endpoint: `127.0.0.1:${server.port}`, protocol: 'http' }));
  return (action: string, query: Record<string, string>) =>
    client.callApi(
      new Params({ action, version: '2017-03-21', protocol: 'HTTP', pathname: '/', method: 'POST', authType: 'AK', style: 'RPC', reqBodyType: 'formData', bodyType: 'json' }),
      new OpenApiRequest({ query }),
      new RuntimeOptions({}),
    ) as Promise<{ statusCode: number; body: Record<string, unknown> }>;
}

async function popError(p: Promise<unknown>): Promise<{ code: string; status: number | undefined }> {
  try {
    await p;
  } catch (err) {
    const e = err as { code?: string; data?: { Code?: string }; statusCode?: number };
    return { code: e.code ?? e.data?.Code ?? '', status: e.statusCode };
  }
  assert.fail('expected an error');
}

describe('@alicloud/pop-core (signature V1)', () => {
  test('GET GetVideoInfo returns the seeded video', async () => {
    const v = await seedVideo(store.db, { title: 'héllo wörld + more', tags: 'a,b' });
    const r = (await popCore().request('GetVideoInfo', { VideoId: v.video_id }, {})) as { RequestId: string; Video: Record<string, unknown> };
    assert.match(r.RequestId, /^[0-9A-F-]{36}$/);
    assert.equal(r.Video.VideoId, v.video_id);
    assert.equal(r.Video.Title, 'héllo wörld + more');
    assert.equal(r.Video.Tags, 'a,b');
    assert.deepEqual(JSON.parse(JSON.stringify(r.Video.Snapshots)), { Snapshot: [] });
  });

  test('POST (form body) UpdateVideoInfo then GetVideoInfos sees it', async () => {
    const v = await seedVideo(store.db);
    await popCore().request('UpdateVideoInfo', { VideoId: v.video_id, Title: 'new title with spaces', Description: 'd' }, { method: 'POST' });
    const r = (await popCore().request('GetVideoInfos', { VideoIds: `${v.video_id},nope` }, { method: 'POST' })) as {
      VideoList: Array<Record<string, unknown>>; NonExistVideoIds: string[];
    };
    assert.equal(r.VideoList[0]?.Title, 'new title with spaces');
    assert.equal(r.VideoList[0]?.Description, 'd');
    assert.deepEqual(r.NonExistVideoIds, ['nope']);
  });

  test('unknown video → InvalidVideo.NotFound (404)', async () => {
    const e = await popError(popCore().request('GetVideoInfo', { VideoId: '0'.repeat(32) }, {}));
    assert.equal(e.code, 'InvalidVideo.NotFound');
  });

  test('wrong secret → SignatureDoesNotMatch; unknown key → InvalidAccessKeyId.NotFound', async () => {
    assert.equal((await popError(popCore('wrong-secret').request('GetVideoInfo', { VideoId: 'x' }, {}))).code, 'SignatureDoesNotMatch');
    assert.equal((await popError(popCore(TEST_KEY_SECRET, 'LTAInobody').request('GetVideoInfo', { VideoId: 'x' }, {}))).code, 'InvalidAccessKeyId.NotFound');
  });

  test('unknown action → InvalidApi.NotFound; missing parameter → MissingParameter', async () => {
    assert.equal((await popError(popCore().request('NoSuchAction', {}, {}))).code, 'InvalidApi.NotFound');
    assert.equal((await popError(popCore().request('GetVideoInfo', {}, {}))).code, 'MissingParameter');
  });
});

describe('@alicloud/openapi-client (signature V3)', () => {
  test('GetVideoInfo works and errors carry the right code', async () => {
    const v = await seedVideo(store.db, { title: 'v3 title ~*' });
    const call = openApi();
    const r = await call('GetVideoInfo', { VideoId: v.video_id });
    assert.equal(r.statusCode, 200);
    assert.equal((r.body.Video as Record<string, unknown>).Title, 'v3 title ~*');
    await assert.rejects(call('GetVideoInfo', { VideoId: 'f'.repeat(32) }), (e: { code?: string; statusCode?: number }) => {
      assert.equal(e.code, 'InvalidVideo.NotFound');
      assert.equal(e.statusCode, 404);
      return true;
    });
    await assert.rejects(openApi('bad')('GetVideoInfo', { VideoId: v.video_id }), (e: { code?: string }) => e.code === 'SignatureDoesNotMatch');
  });
});

describe('raw protocol checks', () => {
  const client = (secret = TEST_KEY_SECRET, id = TEST_KEY_ID, method: 'GET' | 'POST' = 'GET') =>
    new VodRpcClient({ endpoint: server.url, accessKeyId: id, accessKeySecret: secret, method });

  test('form bodies decode `+` and `%20` as spaces; query and body parameters merge', async () => {
    const v = await seedVideo(store.db);
    const { signV1, stringToSignV1 } = await import('../../src/api/rpc/signature-v1.js');
    // Java-style: common parameters in the query, business parameters in a form body with `+`.
    const common = new Map<string, string>([
      ['Action', 'UpdateVideoInfo'], ['Version', '2017-03-21'], ['Format', 'JSON'], ['AccessKeyId', TEST_KEY_ID], ['SignatureMethod', 'HMAC-SHA1'],
      ['SignatureVersion', '1.0'], ['SignatureNonce', `plus-${Date.now()}`], ['Timestamp', new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')],
    ]);
    const business = new Map<string, string>([['VideoId', v.video_id], ['Title', 'plus and space'], ['Description', 'a+b']]);
    const signature = signV1(stringToSignV1('POST', new Map([...common, ...business])), TEST_KEY_SECRET);
    const query = new URLSearchParams([...common, ['Signature', signature]]).toString();
    const res = await fetch(`${server.url}/?${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `VideoId=${v.video_id}&Title=plus+and%20space&Description=a%2Bb`,
    });
    assert.equal(res.status, 200, await res.clone().text());
    const got = await client().call<{ Video: { Title: string; Description: string } }>('GetVideoInfo', { VideoId: v.video_id });
    assert.equal(got.Video.Title, 'plus and space');
    assert.equal(got.Video.Description, 'a+b');
  });

  test('a nonce used twice is refused with SignatureNonceUsed', async () => {
    const v = await seedVideo(store.db);
    await client().call('GetVideoInfo', { VideoId: v.video_id }, { nonce: 'fixed-nonce-1' });
    await assert.rejects(client().call('GetVideoInfo', { VideoId: v.video_id }, { nonce: 'fixed-nonce-1' }), (e: VodApiError) => e.code === 'SignatureNonceUsed' && e.httpStatus === 400);
  });

  test('a timestamp outside the 15-minute window is refused', async () => {
    const old = new Date(Date.now() - 16 * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    await assert.rejects(client().call('GetVideoInfo', { VideoId: 'x' }, { timestamp: old }), (e: VodApiError) => e.code === 'InvalidTimeStamp.Expired');
  });

  test('XML is answered when Format=XML, errors included', async () => {
    const v = await seedVideo(store.db, { title: 'x<y' });
    const params = new URLSearchParams();
    // Build a signed URL with our client, then swap Format: simplest is to sign with Format=XML.
    const { percentEncode, signV1, stringToSignV1 } = await import('../../src/api/rpc/signature-v1.js');
    const all = new Map<string, string>([
      ['Action', 'GetVideoInfo'], ['Version', '2017-03-21'], ['Format', 'XML'], ['AccessKeyId', TEST_KEY_ID], ['SignatureMethod', 'HMAC-SHA1'],
      ['SignatureVersion', '1.0'], ['SignatureNonce', `xml-${Date.now()}`], ['Timestamp', new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')], ['VideoId', v.video_id],
    ]);
    all.set('Signature', signV1(stringToSignV1('GET', all), TEST_KEY_SECRET));
    for (const [k, val] of all) params.set(k, val);
    const res = await fetch(`${server.url}/?${[...all].map(([k, val]) => `${percentEncode(k)}=${percentEncode(val)}`).join('&')}`);
    const text = await res.text();
    assert.equal(res.status, 200);
    assert.match(text, /^<\?xml/);
    assert.match(text, /<GetVideoInfoResponse><RequestId>[0-9A-F-]+<\/RequestId><Video>/);
    assert.match(text, /<Title>x&lt;y<\/Title>/);

    const bad = await fetch(`${server.url}/?Action=GetVideoInfo&Version=2017-03-21&Format=XML`);
    const badText = await bad.text();
    assert.equal(bad.status, 400);
    assert.match(badText, /<Error><RequestId>.+<\/RequestId><HostId>.+<\/HostId><Code>MissingParameter<\/Code>/);
  });

  test('the error body has RequestId, HostId, Code, Message, Recommend', async () => {
    const res = await fetch(`${server.url}/?Action=GetVideoInfo&Version=2017-03-21`);
    const body = (await res.json()) as Record<string, string>;
    assert.equal(res.status, 400);
    assert.deepEqual(Object.keys(body).sort(), ['Code', 'HostId', 'Message', 'Recommend', 'RequestId']);
    assert.equal(body.Code, 'MissingParameter');
    assert.match(body.Message ?? '', /AccessKeyId/);
  });

  test('a key limited with `openvod keys create --actions` gets Forbidden.RAM elsewhere; a disabled key is refused', async () => {
    const env = { ...process.env, OPENVOD_DATABASE_URL: server.db.databaseUrl ?? '' };
    const created = JSON.parse(
      execFileSync(process.execPath, [BIN, 'keys', 'create', '--data-dir', server.db.dataDir, '--actions', 'GetVideoInfo', '--json'], { env }).toString(),
    ) as { AccessKeyId: string; AccessKeySecret: string };
    const v = await seedVideo(store.db);
    const limited = client(created.AccessKeySecret, created.AccessKeyId);
    const ok = await limited.call<{ Video: { VideoId: string } }>('GetVideoInfo', { VideoId: v.video_id });
    assert.equal(ok.Video.VideoId, v.video_id);
    await assert.rejects(limited.call('DeleteVideo', { VideoIds: v.video_id }), (e: VodApiError) => e.code === 'Forbidden.RAM' && e.httpStatus === 403);

    const listed = execFileSync(process.execPath, [BIN, 'keys', 'list', '--data-dir', server.db.dataDir, '--json'], { env }).toString();
    assert.ok(listed.includes(created.AccessKeyId));
    assert.ok(!listed.includes(created.AccessKeySecret), 'keys list must not print secrets');

    execFileSync(process.execPath, [BIN, 'keys', 'disable', '--data-dir', server.db.dataDir, created.AccessKeyId], { env });
    await waitFor(async () => {
      try {
        await limited.call('GetVideoInfo', { VideoId: v.video_id });
        return false;
      } catch (e) {
        return (e as VodApiError).code === 'InvalidAccessKeyId.Inactive';
      }
    }, 10_000);
  });
});
