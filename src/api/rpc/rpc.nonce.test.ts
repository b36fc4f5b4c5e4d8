// Replay protection end to end: real `openvod serve` processes sharing one database, signed
// requests sent twice — at once, one after the other, and to two different processes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { openStore, type Store } from '../../store/db.js';
import { seedVideo } from '../../../test/helpers/seed.js';
import { BIN, startTestServer, TEST_KEY_ID, TEST_KEY_SECRET, type TestServer } from '../../../test/helpers/server.js';
import { percentEncode, signV1, stringToSignV1 } from './signature-v1.js';

let a: TestServer;
let b: TestServer;
let store: Store;

before(async () => {
  a = await startTestServer();
  b = await startTestServer({ db: a.db }); // a second process of the same deployment
  store = openStore({ databaseUrl: a.db.databaseUrl, dataDir: a.db.dataDir });
});
after(async () => {
  await store?.close();
  await b?.cleanup();
  await a?.cleanup();
});

/** The path and query of a signed V1 GET: the same string can be sent as often as we like. */
function signedPath(action: string, params: Record<string, string>, key = { id: TEST_KEY_ID, secret: TEST_KEY_SECRET }): string {
  const all = new Map<string, string>([
    ['Action', action], ['Version', '2017-03-21'], ['Format', 'JSON'], ['AccessKeyId', key.id], ['SignatureMethod', 'HMAC-SHA1'],
    ['SignatureVersion', '1.0'], ['SignatureNonce', randomUUID()], ['Timestamp', new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')],
    ...Object.entries(params),
  ]);
  all.set('Signature', signV1(stringToSignV1('GET', all), key.secret));
  return `/?${[...all].map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`).join('&')}`;
}

async function send(server: TestServer, path: string): Promise<{ status: number; code: string | undefined }> {
  const res = await fetch(`${server.url}${path}`);
  const body = (await res.json()) as { Code?: string };
  return { status: res.status, code: body.Code };
}

const codes = (answers: ReadonlyArray<{ status: number; code: string | undefined }>): string[] => answers.map((r) => r.code ?? String(r.status)).sort();

describe('a signed request is acted on once', () => {
  test('sent twice at the same moment: one answer, one SignatureNonceUsed', async () => {
    const v = await seedVideo(store.db);
    for (let i = 0; i < 5; i++) {
      const path = signedPath('GetVideoInfo', { VideoId: v.video_id });
      const answers = await Promise.all([send(a, path), send(a, path), send(a, path)]);
      assert.deepEqual(codes(answers), ['200', 'SignatureNonceUsed', 'SignatureNonceUsed']);
    }
  });

  test('sent to two processes of one deployment, in turn and at once: refused by the second', async () => {
    const v = await seedVideo(store.db);
    const path = signedPath('GetVideoInfo', { VideoId: v.video_id });
    assert.equal((await send(a, path)).status, 200);
    assert.deepEqual(await send(b, path), { status: 400, code: 'SignatureNonceUsed' });
    for (let i = 0; i < 5; i++) {
      const racing = signedPath('GetVideoInfo', { VideoId: v.video_id });
      assert.deepEqual(codes(await Promise.all([send(a, racing), send(b, racing)])), ['200', 'SignatureNonceUsed']);
    }
  });

  test('a replayed write is refused and not applied again', async () => {
    const v = await seedVideo(store.db, { title: 'before' });
    const path = signedPath('UpdateVideoInfo', { VideoId: v.video_id, Title: 'replayed' });
    assert.equal((await send(a, path)).status, 200);
    await store.db.updateTable('videos').set({ title: 'changed since' }).where('video_id', '=', v.video_id).execute();
    assert.deepEqual(await send(b, path), { status: 400, code: 'SignatureNonceUsed' });
    assert.deepEqual(await send(a, path), { status: 400, code: 'SignatureNonceUsed' });
    const row = await store.db.selectFrom('videos').select('title').where('video_id', '=', v.video_id).executeTakeFirstOrThrow();
    assert.equal(row.title, 'changed since');
  });

  test('a replayed read of a missing video, and a replayed forbidden call, answer SignatureNonceUsed', async () => {
    const missing = signedPath('GetVideoInfo', { VideoId: 'no-such-video' });
    assert.deepEqual(await send(a, missing), { status: 404, code: 'InvalidVideo.NotFound' });
    assert.deepEqual(await send(a, missing), { status: 400, code: 'SignatureNonceUsed' });

    const env = { ...process.env, OPENVOD_DATABASE_URL: a.db.databaseUrl ?? '' };
    const created = JSON.parse(
      execFileSync(process.execPath, [BIN, 'keys', 'create', '--data-dir', a.db.dataDir, '--actions', 'GetVideoInfo', '--json'], { env }).toString(),
    ) as { AccessKeyId: string; AccessKeySecret: string };
    const forbidden = signedPath('DeleteVideo', { VideoIds: 'x' }, { id: created.AccessKeyId, secret: created.AccessKeySecret });
    assert.deepEqual(await send(a, forbidden), { status: 403, code: 'Forbidden.RAM' });
    assert.deepEqual(await send(a, forbidden), { status: 400, code: 'SignatureNonceUsed' });
    const unknownAction = signedPath('NoSuchAction', {});
    assert.deepEqual(await send(a, unknownAction), { status: 404, code: 'InvalidApi.NotFound' });
    assert.deepEqual(await send(b, unknownAction), { status: 400, code: 'SignatureNonceUsed' });
  });

  test('a request with a bad signature does not use up its nonce', async () => {
    const v = await seedVideo(store.db);
    const good = signedPath('GetVideoInfo', { VideoId: v.video_id });
    const tampered = good.replace(/Signature=[^&]+/, 'Signature=AAAAAAAAAAAAAAAAAAAAAAAAAAA%3D');
    assert.deepEqual(await send(a, tampered), { status: 400, code: 'SignatureDoesNotMatch' });
    assert.equal((await send(a, good)).status, 200);
  });
});
