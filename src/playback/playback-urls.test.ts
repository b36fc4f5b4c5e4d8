import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_STORAGE_LOCATION } from '../domain/storage.js';
import { appendAuthKey, verifyTypeA } from '../domain/url-signing.js';
import { objectPath, signedObjectUrl, storedUrlRenderer } from './playback-urls.js';

const PLAYBACK_KEY = 'playback-key-0123456789abcdef';
const TTL_S = 1800;
const NOW_MS = 1_765_000_000_123;

const depsFor = (publicUrl: string) => ({ config: { publicUrl, playback: { authTtlS: TTL_S } }, playbackKey: PLAYBACK_KEY }) as Parameters<typeof signedObjectUrl>[0];

/** What signedObjectUrl must return: the URL joined as text, then parsed, serialised and signed. */
const reference = (publicUrl: string, location: string, key: string, authTimeoutS?: number): string =>
  appendAuthKey(`${publicUrl}${objectPath(location, key)}`, {
    key: PLAYBACK_KEY, ttlS: TTL_S, expiresAtS: Math.floor(NOW_MS / 1000) + (authTimeoutS ?? TTL_S),
  });

// Public URLs as config leaves them (trailing slashes stripped), some of them not in WHATWG form.
const PUBLIC_URLS = [
  'http://127.0.0.1:8080', 'https://vod.example.com', 'https://VOD.Example.COM:443/media-root', 'http://example.com:80/a b/c',
  'http://[::1]:9000', 'https://example.com/%7Efolks/x', 'https://user:pw@example.com', 'https://example.com/base?x=1', 'http://h.test/./v/../w',
];

const SEGMENTS = [
  'c03dd9b3fa00884f35f3a621e48ecdab', 'cover.jpg', 'a b', 'ünï cödé', '100%', 'q?x=1', 'frag#1', '.', '..', '...', '.hidden', 'x.',
  "it's (1)!*~", '%2e', '%2E%2e', 'back\\slash', 'tab\tchar', '', '日本語.mp4', 'emoji-🎬', '[brackets]', '{braces}', '`tick`', 'semi;colon', 'a&b=c',
];

function* keys(): Generator<string> {
  for (const a of SEGMENTS) {
    yield a;
    for (const b of SEGMENTS) yield `${a}/${b}`;
  }
  yield 'v/original.mp4';
  yield 'a//b';
  yield '/leading';
  yield 'trailing/';
}

test('signedObjectUrl returns exactly what parsing and serialising the joined URL gives, for every key and public URL', () => {
  let compared = 0;
  for (const publicUrl of PUBLIC_URLS) {
    for (const location of [DEFAULT_STORAGE_LOCATION, 'archive-bucket', 'odd location', '.', '..']) {
      for (const key of keys()) {
        for (const timeout of [undefined, 60]) {
          assert.equal(signedObjectUrl(depsFor(publicUrl), location, key, NOW_MS, timeout), reference(publicUrl, location, key, timeout), `${publicUrl} ${location} ${key}`);
          compared++;
        }
      }
    }
  }
  assert.ok(compared > 10_000);
});

test('objectPath encodes each segment of a key as encodeURIComponent does (keys it would leave alone are taken as they are)', () => {
  const encoded = (key: string) => key.split('/').map(encodeURIComponent).join('/');
  for (const key of keys()) {
    assert.equal(objectPath(DEFAULT_STORAGE_LOCATION, key), `/media/${encoded(key)}`, key);
    assert.equal(objectPath('odd location', key), `/storages/odd%20location/${encoded(key)}`, key);
  }
});

test('a signed URL verifies on the path a client requests', () => {
  const url = new URL(signedObjectUrl(depsFor('https://vod.example.com/root'), DEFAULT_STORAGE_LOCATION, 'vid/ünï cödé.mp4', NOW_MS));
  assert.equal(url.pathname, '/root/media/vid/%C3%BCn%C3%AF%20c%C3%B6d%C3%A9.mp4');
  const verdict = verifyTypeA({ path: url.pathname, authKey: url.searchParams.get('auth_key') ?? undefined, key: PLAYBACK_KEY, ttlS: TTL_S, nowS: Math.floor(NOW_MS / 1000) });
  assert.equal(verdict, 'ok');
});

test('storedUrlRenderer signs blob references, passes other URLs through, and signs a repeated reference once', () => {
  const deps = depsFor('http://127.0.0.1:8080');
  const render = storedUrlRenderer(deps, NOW_MS);
  const cover = render('blob:v1/cover.jpg');
  assert.equal(cover, reference('http://127.0.0.1:8080', DEFAULT_STORAGE_LOCATION, 'v1/cover.jpg'));
  assert.equal(render('blob:v1/cover.jpg'), cover);
  assert.equal(render('https://cdn.example.com/c.jpg'), 'https://cdn.example.com/c.jpg');
  assert.equal(render('blob:v1/snap-2.jpg'), reference('http://127.0.0.1:8080', DEFAULT_STORAGE_LOCATION, 'v1/snap-2.jpg'));
  assert.equal(render('blob:v1/cover.jpg'), cover);
  assert.equal(storedUrlRenderer(deps, NOW_MS, 60)('blob:v1/cover.jpg'), reference('http://127.0.0.1:8080', DEFAULT_STORAGE_LOCATION, 'v1/cover.jpg', 60));
});
