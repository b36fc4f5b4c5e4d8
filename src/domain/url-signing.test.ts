import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendAuthKey, signTypeA, signTypeAUntil, typeATimestamp, verifyTypeA } from './url-signing.js';

// §10 reference vector: md5("/video/standard/1K.html-1444435200-0-0-aliyuncdnexp1234").
const KEY = 'aliyuncdnexp1234';
const PATH = '/video/standard/1K.html';
const VECTOR = '1444435200-0-0-80cd3862d699b7118eed99103f2a3a4f';

test('type A reference vector', () => {
  assert.equal(signTypeA({ path: PATH, key: KEY, timestampS: 1444435200 }), VECTOR);
  assert.equal(signTypeA({ path: PATH, key: KEY, timestampS: 1444435200, rand: '0', uid: '0' }), VECTOR);
  assert.equal(verifyTypeA({ path: PATH, authKey: VECTOR, key: KEY, ttlS: 1800, nowS: 1444435200 }), 'ok');
});

test('ts = expiresAt − TTL: the URL dies exactly at expiresAt for any requested lifetime', () => {
  const ttlS = 1800;
  const nowS = 1_700_000_000;
  for (const authTimeoutS of [60, 1800, 3600, 86_400]) {
    const expiresAtS = nowS + authTimeoutS;
    assert.equal(typeATimestamp({ expiresAtS, ttlS }), expiresAtS - ttlS);
    const authKey = signTypeA({ path: PATH, key: KEY, expiresAtS, ttlS, rand: 'a1b2c3', uid: '42' });
    assert.equal(verifyTypeA({ path: PATH, authKey, key: KEY, ttlS, nowS }), 'ok');
    assert.equal(verifyTypeA({ path: PATH, authKey, key: KEY, ttlS, nowS: expiresAtS }), 'ok');
    assert.equal(verifyTypeA({ path: PATH, authKey, key: KEY, ttlS, nowS: expiresAtS + 1 }), 'expired');
  }
});

test('signTypeAUntil signs as signTypeA does with rand and uid 0, and refuses what it refuses', () => {
  for (const [expiresAtS, ttlS] of [[1444437000, 1800], [1_700_000_060, 60], [1_700_086_400, 1800]] as const) {
    assert.equal(signTypeAUntil(PATH, expiresAtS, ttlS, KEY), signTypeA({ path: PATH, key: KEY, expiresAtS, ttlS }));
  }
  assert.equal(signTypeAUntil(PATH, 1444437000, 1800, KEY), VECTOR);
  assert.throws(() => signTypeAUntil('video/1.mp4', 1, 0, KEY), RangeError);
  assert.throws(() => signTypeAUntil('/v.mp4?x=1', 1, 0, KEY), RangeError);
  assert.throws(() => signTypeAUntil(PATH, 1.5, 0, KEY), RangeError);
  assert.throws(() => signTypeAUntil(PATH, 10, 60, KEY), RangeError);
});

test('verifyTypeA: missing, malformed, tampered path, wrong key, secondary key', () => {
  const authKey = signTypeA({ path: PATH, key: KEY, timestampS: 1444435200, rand: 'r4nd', uid: 'u1' });
  const at = { path: PATH, key: KEY, ttlS: 1800, nowS: 1444435200 };
  assert.equal(verifyTypeA({ ...at, authKey: undefined }), 'missing');
  assert.equal(verifyTypeA({ ...at, authKey: '' }), 'missing');
  for (const bad of ['1444435200-0-0', '1444435200-0-0-80cd-extra', 'x-0-0-80cd3862d699b7118eed99103f2a3a4f', '1444435200-0-0-80cd3862', '1444435200--0-80cd3862d699b7118eed99103f2a3a4f', '1444435200-0-0-zzcd3862d699b7118eed99103f2a3a4f']) {
    assert.equal(verifyTypeA({ ...at, authKey: bad }), 'malformed', bad);
  }
  assert.equal(verifyTypeA({ ...at, authKey }), 'ok');
  assert.equal(verifyTypeA({ ...at, authKey: authKey.toUpperCase().replace('R4ND', 'r4nd').replace('U1', 'u1') }), 'ok');
  assert.equal(verifyTypeA({ ...at, path: '/video/standard/2K.html', authKey }), 'bad-signature');
  assert.equal(verifyTypeA({ ...at, key: 'wrong', authKey }), 'bad-signature');
  assert.equal(verifyTypeA({ ...at, key: ['secondary', KEY], authKey }), 'ok');
  assert.equal(verifyTypeA({ ...at, key: [], authKey }), 'bad-signature');
  assert.equal(verifyTypeA({ ...at, authKey: authKey.replace('1444435200', '1444435201') }), 'bad-signature');
  // A forged URL is told it is forged, not whether its time would have passed.
  assert.equal(verifyTypeA({ ...at, key: 'wrong', authKey, nowS: 2_000_000_000 }), 'bad-signature');
});

test('appendAuthKey: ? or &, emits and signs the serialised path, fragment kept', () => {
  const signing = { key: KEY, timestampS: 1444435200 };
  assert.equal(appendAuthKey(`http://cdn.example.com${PATH}`, signing), `http://cdn.example.com${PATH}?auth_key=${VECTOR}`);
  assert.equal(appendAuthKey(`http://cdn.example.com${PATH}?a=1`, signing), `http://cdn.example.com${PATH}?a=1&auth_key=${VECTOR}`);
  assert.equal(appendAuthKey(`${PATH}#t=5`, signing), `${PATH}?auth_key=${VECTOR}#t=5`);
  const url = appendAuthKey('https://cdn.example.com/视频/./a b.mp4', { ...signing, rand: 'x', uid: '7' });
  const encodedPath = '/%E8%A7%86%E9%A2%91/a%20b.mp4';
  assert.ok(url.startsWith(`https://cdn.example.com${encodedPath}?auth_key=1444435200-x-7-`), url);
  const authKey = new URL(url).searchParams.get('auth_key') ?? undefined;
  assert.equal(verifyTypeA({ path: encodedPath, authKey, key: KEY, ttlS: 1800, nowS: 1444435200 }), 'ok');
});

test('signTypeA rejects unusable input', () => {
  assert.throws(() => signTypeA({ path: 'video/1.mp4', key: KEY, timestampS: 1 }), RangeError);
  assert.throws(() => signTypeA({ path: '/v.mp4?x=1', key: KEY, timestampS: 1 }), RangeError);
  assert.throws(() => signTypeA({ path: PATH, key: KEY, timestampS: 1.5 }), RangeError);
  assert.throws(() => signTypeA({ path: PATH, key: KEY, timestampS: -1 }), RangeError);
  assert.throws(() => signTypeA({ path: PATH, key: KEY, timestampS: 1, rand: 'a-b' }), RangeError);
  assert.throws(() => signTypeA({ path: PATH, key: KEY, timestampS: 1, uid: '' }), RangeError);
});
