// The vod: source against a small loopback fake that speaks SearchMedia (scroll mode) and
// GetMezzanineInfo in the reference's shapes (§5, §6) and serves the files.
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { MigrateUsageError } from '../migrate.errors.js';
import type { MigrationSource, SourceItem } from '../source.js';
import { openSource, SourceItemError, type SourceWarning } from './index.js';
import { createVodSource, type VodSourceConfig } from './vod.source.js';

interface FakeVideo { id: string; title: string; cate?: string; bytes: Buffer; fileName: string; noFile?: boolean; vanish?: boolean }

const videos: FakeVideo[] = Array.from({ length: 230 }, (_, i) => ({
  id: `vid${String(i).padStart(4, '0')}`,
  title: `Video ${i}`,
  cate: i % 2 === 0 ? 'Even' : undefined,
  bytes: randomBytes(100 + i),
  fileName: i % 3 === 0 ? `clip-${i}.mov` : `clip-${i}.mp4`,
}));
(videos[5] as FakeVideo).noFile = true;
(videos[7] as FakeVideo).vanish = true;

let server: Server;
let endpoint: string;
const requests: Record<string, string>[] = [];
let throttleNext = 0;
let searchError: { status: number; code: string } | undefined;

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

function answer(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', endpoint);
  if (url.pathname.startsWith('/files/')) {
    const v = videos.find((x) => url.pathname === `/files/${x.id}/${x.fileName}`);
    if (!v || url.searchParams.get('auth_key') === null) return void res.writeHead(404).end('no');
    return void res.writeHead(200, { 'content-length': v.bytes.length }).end(v.bytes);
  }
  let body = '';
  for await (const chunk of req) body += chunk;
  const p = Object.fromEntries(new URLSearchParams(body));
  requests.push(p);
  const rid = { RequestId: `req-${requests.length}` };
  if (!p.AccessKeyId || !p.Signature) return answer(res, 400, { ...rid, Code: 'MissingParameter', Message: 'no key' });
  if (throttleNext > 0) {
    throttleNext--;
    return answer(res, 400, { ...rid, Code: 'Throttling.User', Message: 'Request was denied due to user flow control.' });
  }
  if (p.Action === 'SearchMedia') {
    if (searchError) return answer(res, searchError.status, { ...rid, Code: searchError.code, Message: 'nope' });
    const size = Number(p.PageSize);
    const page = Number(p.PageNo);
    // Scroll mode: every page after the first must carry the token the previous answer gave.
    if (page > 1 && p.ScrollToken !== `token-${page - 1}`) return answer(res, 400, { ...rid, Code: 'InvalidScrollToken.Expired', Message: 'bad token' });
    const slice = videos.slice((page - 1) * size, page * size);
    return answer(res, 200, {
      ...rid, Total: videos.length, ScrollToken: `token-${page}`,
      MediaList: slice.map((v) => ({
        MediaId: v.id, MediaType: 'video', CreationTime: '2024-01-01T00:00:00Z',
        Video: { VideoId: v.id, Title: v.title, CateName: v.cate, CateId: v.cate ? 9 : undefined, Size: v.bytes.length, Duration: 2.5, Status: 'Normal', CoverURL: `${endpoint}/covers/${v.id}.jpg`, Tags: 'x,y' },
      })),
    });
  }
  if (p.Action === 'GetMezzanineInfo') {
    const v = videos.find((x) => x.id === p.VideoId);
    if (!v || v.vanish) return answer(res, 404, { ...rid, Code: 'InvalidVideo.NotFound', Message: 'The video does not exist.' });
    const m: Record<string, unknown> = { VideoId: v.id, FileName: v.fileName, Size: v.bytes.length, Duration: '2.50', FileMD5: md5(v.bytes).toUpperCase(), Status: 'Normal' };
    if (!v.noFile) m.FileURL = `${endpoint}/files/${v.id}/${v.fileName}?auth_key=${p.AuthTimeout}`;
    return answer(res, 200, { ...rid, Mezzanine: m });
  }
  return answer(res, 400, { ...rid, Code: 'InvalidAction', Message: p.Action });
}

before(async () => {
  server = createServer((req, res) => void handle(req, res).catch((err: unknown) => res.writeHead(500).end(String(err))));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  requests.length = 0;
  throttleNext = 0;
  searchError = undefined;
});

const config = (extra: Partial<VodSourceConfig> = {}): VodSourceConfig => ({ endpoint, accessKeyId: 'src-key', accessKeySecret: 'src-secret', retryBaseMs: 1, ...extra });

async function list(source: MigrationSource): Promise<SourceItem[]> {
  const items: SourceItem[] = [];
  for await (const item of source.list()) items.push(item);
  return items;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

test('lists every video through scroll pages, described by GetMezzanineInfo, in order', async () => {
  const warnings: SourceWarning[] = [];
  const source = openSource(`vod:${endpoint}`, { vodAccessKeyId: 'src-key', vodAccessKeySecret: 'src-secret', vodMatch: "Title = 'Video'", onWarning: (w) => warnings.push(w) });
  try {
    assert.equal(source.kind, 'vod');
    assert.equal(source.defaultMethod, 'pull');
    assert.deepEqual(source.methods, ['pull', 'push']);
    const items = await list(source);
    assert.deepEqual(items.map((i) => i.id), videos.filter((v) => !v.vanish).map((v) => v.id));
    assert.deepEqual(warnings.map((w) => [w.code, w.id]), [['ItemVanished', 'vid0007']]);

    const searches = requests.filter((r) => r.Action === 'SearchMedia');
    assert.deepEqual(searches.map((r) => [r.PageNo, r.ScrollToken]), [['1', undefined], ['2', 'token-1'], ['3', 'token-2']]);
    for (const r of searches) {
      assert.equal(r.PageSize, '100');
      assert.equal(r.SortBy, 'CreationTime:Asc');
      assert.equal(r.SearchType, 'video');
      assert.equal(r.Match, "Title = 'Video' and Status in ('Normal','UploadSucc','Transcoding','TranscodeFail','Checking')");
      assert.match(r.Fields ?? '', /Title,Description,Tags,CateId,CateName,CoverURL,Size,Duration,Status/);
    }

    const v0 = videos[0] as FakeVideo;
    assert.deepEqual(items[0], {
      id: v0.id, fileName: v0.fileName, title: v0.title, description: undefined, tags: 'x,y', cateName: 'Even', coverUrl: `${endpoint}/covers/${v0.id}.jpg`,
      size: v0.bytes.length, md5: md5(v0.bytes), durationS: 2.5, lastModified: '2024-01-01T00:00:00Z', extra: {},
    });
    assert.equal(items[1]?.cateName, undefined);
    assert.equal(items.some((i) => i.cateId !== undefined), false, 'source CateIds mean nothing on the target');
    const noFile = items.find((i) => i.id === 'vid0005');
    assert.equal(noFile?.invalid?.code, 'Source.NotFound');
    assert.equal(items.filter((i) => i.invalid).length, 1);
  } finally {
    await source.close();
    await source.close();
  }
});

test('Throttling answers are retried with backoff', async () => {
  const source = createVodSource(`vod:${endpoint}`, config());
  throttleNext = 3;
  const item: SourceItem = { id: 'vid0001', fileName: 'clip-1.mp4', extra: {} };
  const url = await source.sourceUrl?.(item, { expiresInS: 7200 });
  assert.match(url ?? '', /\/files\/vid0001\/clip-1\.mp4\?auth_key=7200$/);
  assert.equal(requests.length, 4);
  throttleNext = 10;
  await assert.rejects(createVodSource(`vod:${endpoint}`, config({ attempts: 2 })).sourceUrl!(item, { expiresInS: 60 }), (e: unknown) => e instanceof SourceItemError && e.code === 'Source.Failed' && /Throttling/.test(e.message));
  await source.close();
});

test('pull: sourceUrl asks GetMezzanineInfo with AuthTimeout = expiresInS (clamped); item errors have codes', async () => {
  const source = createVodSource(`vod:${endpoint}`, config());
  const item = (id: string): SourceItem => ({ id, fileName: 'x.mp4', extra: {} });
  await source.sourceUrl?.(item('vid0002'), { expiresInS: 10 * 86_400 * 365 });
  assert.equal(requests.at(-1)?.AuthTimeout, '2592000');
  await source.sourceUrl?.(item('vid0002'), { expiresInS: 0.5 });
  assert.equal(requests.at(-1)?.AuthTimeout, '1');
  const code = (expected: string) => (e: unknown) => e instanceof SourceItemError && e.code === expected;
  await assert.rejects(source.sourceUrl!(item('vid0007'), { expiresInS: 60 }), code('Source.NotFound'));
  await assert.rejects(source.sourceUrl!(item('vid0005'), { expiresInS: 60 }), code('Source.NotFound'));
  await source.close();
});

test('push: open() streams the file URL with its length', async () => {
  const source = createVodSource(`vod:${endpoint}`, config());
  const v = videos[3] as FakeVideo;
  const body = await source.open!({ id: v.id, fileName: v.fileName, extra: {} });
  assert.equal(body.size, v.bytes.length);
  assert.deepEqual(await readAll(body.stream), v.bytes);
  await assert.rejects(source.open!({ id: 'vid0005', fileName: 'x', extra: {} }), (e: unknown) => e instanceof SourceItemError && e.code === 'Source.NotFound');
  await source.close();
});

test('a bad Match or rejected keys are usage errors; a vodMatch naming Status replaces the default statuses', async () => {
  searchError = { status: 400, code: 'ErrorMatchSyntax' };
  await assert.rejects(list(createVodSource(`vod:${endpoint}`, config({ match: 'Title =' }))), (e: unknown) => e instanceof MigrateUsageError && /ErrorMatchSyntax/.test(e.message));
  searchError = { status: 403, code: 'InvalidAccessKeyId.NotFound' };
  await assert.rejects(list(createVodSource(`vod:${endpoint}`, config())), (e: unknown) => e instanceof MigrateUsageError);
  searchError = { status: 404, code: 'InvalidApi.NotFound' };
  await assert.rejects(list(createVodSource(`vod:${endpoint}`, config())), (e: unknown) => e instanceof MigrateUsageError && /does not offer SearchMedia/.test(e.message));
  searchError = { status: 503, code: 'ServiceUnavailable' };
  await assert.rejects(list(createVodSource(`vod:${endpoint}`, config({ attempts: 2 }))), (e: unknown) => !(e instanceof MigrateUsageError));
  searchError = undefined;
  requests.length = 0;
  const ac = new AbortController();
  for await (const _ of createVodSource(`vod:${endpoint}`, config({ match: "Status in ('Blocked')" })).list(ac.signal)) ac.abort();
  assert.equal(requests[0]?.Match, "Status in ('Blocked')");
});

test('aborting the signal ends the listing', async () => {
  const source = createVodSource(`vod:${endpoint}`, config());
  const ac = new AbortController();
  const seen: string[] = [];
  for await (const item of source.list(ac.signal)) {
    seen.push(item.id);
    if (seen.length === 3) ac.abort();
  }
  assert.equal(seen.length, 3);
  assert.equal(requests.filter((r) => r.Action === 'SearchMedia').length, 1);
  await source.close();
});
