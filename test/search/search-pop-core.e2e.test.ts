// SearchMedia through a started `openvod serve`, driven by the official @alicloud/pop-core client
// (signature V1; the Match travels URL-encoded with its quotes, brackets and spaces).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import RPCClient from '@alicloud/pop-core';
import { openStore, type Store } from '../../src/store/db.js';
import { seedVideo } from '../helpers/seed.js';
import { startTestServer, TEST_KEY_ID, TEST_KEY_SECRET, type TestServer } from '../helpers/server.js';

let server: TestServer;
let store: Store;
let client: RPCClient;
const T0 = Date.UTC(2019, 4, 1);

before(async () => {
  server = await startTestServer();
  store = openStore({ databaseUrl: server.db.databaseUrl, dataDir: server.db.dataDir });
  client = new RPCClient({ accessKeyId: TEST_KEY_ID, accessKeySecret: TEST_KEY_SECRET, endpoint: server.url, apiVersion: '2017-03-21' });
  for (let i = 0; i < 25; i++) {
    await seedVideo(store.db, {
      video_id: `${String(i).padStart(2, '0')}${'e'.repeat(30)}`, title: i % 2 === 0 ? `Cooking Show ${i} (it's [live])` : `Travel ${i}`,
      status: i % 5 === 0 ? 'Blocked' : 'Normal', size: i * 1000, created_at_ms: T0 + i * 60_000, modified_at_ms: T0 + i * 60_000,
    });
  }
});
after(async () => {
  await store?.close();
  await server?.cleanup();
});

interface Answer {
  RequestId: string;
  Total: number;
  ScrollToken?: string;
  MediaList: Array<{ MediaId: string; MediaType: string; CreationTime: string; Video: { VideoId: string; Title?: string; Size?: number } }>;
}

describe('SearchMedia with @alicloud/pop-core', () => {
  test('fuzzy title + status + time range, sorted by CreationTime, with Fields (GET and POST)', async () => {
    const params = {
      Match: "Title = 'COOKING show' and Status in ('Normal') and CreationTime = ['2019-05-01T00:04:00Z','2019-05-01T00:20:00Z')",
      Fields: 'Title,Size', SortBy: 'CreationTime:Asc', PageSize: 3,
    };
    for (const method of ['GET', 'POST']) {
      // pop-core parses JSON into null-prototype objects: compare plain copies.
      const r = JSON.parse(JSON.stringify(await client.request('SearchMedia', params, { method }))) as Answer;
      assert.match(r.RequestId, /^[0-9A-F-]{36}$/);
      // even i in [4, 20), not a multiple of 5: 4, 6, 8, 12, 14, 16, 18
      assert.equal(r.Total, 7);
      assert.deepEqual(r.MediaList.map((m) => m.Video.Title), ["Cooking Show 4 (it's [live])", "Cooking Show 6 (it's [live])", "Cooking Show 8 (it's [live])"]);
      assert.deepEqual(r.MediaList[0], {
        MediaId: `04${'e'.repeat(30)}`, MediaType: 'video', CreationTime: '2019-05-01T00:04:00Z',
        Video: { VideoId: `04${'e'.repeat(30)}`, Title: "Cooking Show 4 (it's [live])", Size: 4000 },
      });
    }
  });

  test('a quote inside a value, and scrolling to the end with the ScrollToken', async () => {
    const seen: string[] = [];
    let r = (await client.request('SearchMedia', { Match: "Title = 'it''s [live]'", PageSize: 4 }, {})) as Answer;
    const total = r.Total;
    seen.push(...r.MediaList.map((m) => m.MediaId));
    for (let page = 2; r.ScrollToken !== undefined; page++) {
      r = (await client.request('SearchMedia', { Match: "Title = 'it''s [live]'", PageSize: 4, PageNo: page, ScrollToken: r.ScrollToken }, {})) as Answer;
      seen.push(...r.MediaList.map((m) => m.MediaId));
    }
    assert.equal(total, 13);
    assert.equal(seen.length, 13);
    assert.equal(new Set(seen).size, 13);
  });

  test('a bad Match is ErrorMatchSyntax (HTTP 400) naming the bad part', async () => {
    try {
      await client.request('SearchMedia', { Match: "Title = 'a' or Status = 'Normal'" }, {});
      assert.fail('expected an error');
    } catch (err) {
      const e = err as { code?: string; entry?: { response?: { statusCode?: number } }; message: string };
      assert.equal(e.code, 'ErrorMatchSyntax');
      assert.equal(e.entry?.response?.statusCode, 400);
      assert.match(e.message, /position 13 \("or"\)/);
    }
  });
});
