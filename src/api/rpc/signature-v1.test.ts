import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import RPCClient from '@alicloud/pop-core';
import OpenApi, { Config, OpenApiRequest, Params } from '@alicloud/openapi-client';
import { RuntimeOptions } from '@alicloud/tea-util';
import { ApiError } from '../../domain/errors.js';
import {
  canonicalQueryV1,
  checkTimestampV1,
  parseTimestamp,
  percentEncode,
  safeEqual,
  signV1,
  stringToSignV1,
  verifyV1,
} from './signature-v1.js';

// §9a reference vector.
const SECRET = 'testAccessKeySecret';
const VECTOR_STS =
  'GET&%2F&AccessKeyId%3DtestAccessKeyId%26Action%3DGetVideoPlayAuth%26Format%3DJSON%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D8f8a035d-6496-4268-afd4-67c22837e38d%26SignatureVersion%3D1.0%26Timestamp%3D2017-10-10T12%253A02%253A54Z%26Version%3D2017-03-21%26VideoId%3D5aed81b74ba84920be578cdfe004af4b';
const VECTOR_SIGNATURE = 'Ibgh7y8Vp47LBuAsf5Xhi1SvDss=';
const VECTOR_PARAMS = {
  VideoId: '5aed81b74ba84920be578cdfe004af4b',
  Version: '2017-03-21',
  Timestamp: '2017-10-10T12:02:54Z',
  SignatureVersion: '1.0',
  SignatureNonce: '8f8a035d-6496-4268-afd4-67c22837e38d',
  SignatureMethod: 'HMAC-SHA1',
  Format: 'JSON',
  Action: 'GetVideoPlayAuth',
  AccessKeyId: 'testAccessKeyId',
};

const hasCode = (code: string) => (err: unknown): boolean => err instanceof ApiError && err.code === code;

test('reference vector: StringToSign → signature', () => {
  assert.equal(signV1(VECTOR_STS, SECRET), VECTOR_SIGNATURE);
});

test('reference vector: params (record or map, any order, with Signature) → exact StringToSign', () => {
  assert.equal(stringToSignV1('GET', VECTOR_PARAMS), VECTOR_STS);
  assert.equal(stringToSignV1('get', { ...VECTOR_PARAMS, Signature: 'ignored' }), VECTOR_STS);
  const map = new Map(Object.entries(VECTOR_PARAMS).reverse());
  map.set('Signature', VECTOR_SIGNATURE);
  assert.equal(stringToSignV1('GET', map), VECTOR_STS);
  assert.doesNotThrow(() => verifyV1('GET', map, SECRET));
});

test('percentEncode: RFC 3986 edge cases', () => {
  assert.equal(percentEncode(' '), '%20');
  assert.equal(percentEncode('+'), '%2B');
  assert.equal(percentEncode('*'), '%2A');
  assert.equal(percentEncode('~'), '~');
  assert.equal(percentEncode("!'()"), '%21%27%28%29');
  assert.equal(percentEncode('-_.AZaz09'), '-_.AZaz09');
  assert.equal(percentEncode('/=&:'), '%2F%3D%26%3A');
  assert.equal(percentEncode('é'), '%C3%A9');
  assert.equal(percentEncode('视频'), '%E8%A7%86%E9%A2%91');
  assert.equal(percentEncode('😀'), '%F0%9F%98%80');
  assert.equal(percentEncode('\uD800'), '%EF%BF%BD'); // lone surrogate: no throw
  assert.equal(percentEncode(''), '');
});

test('percentEncode equals encodeURIComponent + !\'()* escaping for every BMP code point', () => {
  const reference = (s: string): string =>
    encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  for (let cp = 0; cp <= 0xffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    const s = String.fromCharCode(cp);
    assert.equal(percentEncode(s), reference(s), `U+${cp.toString(16)}`);
  }
});

// The byte-wise definition, for strings encodeURIComponent refuses (lone surrogates).
const percentEncodeBytewise = (s: string): string =>
  [...Buffer.from(s, 'utf8')].map((b) => (/[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');

test('percentEncode equals the byte-wise definition on mixed strings, lone surrogates included', () => {
  const pieces = ['a', 'Z9', '-_.~', ' ', '+', '*', "!'()", '/=&:%', 'é', '视频', '😀', '\uD800', '\uDFFF', '\uD83D', 'x\uDE00y', '\u0000', '\u007f'];
  let seed = 7;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (let i = 0; i < 3000; i++) {
    let s = '';
    for (let j = random(6); j >= 0; j--) s += pieces[random(pieces.length)];
    assert.equal(percentEncode(s), percentEncodeBytewise(s), JSON.stringify(s));
  }
});

test('stringToSignV1 is METHOD&%2F&percentEncode(canonical query), for any parameters', () => {
  const values = ['', 'plain', 'a b', 'a+b', 'x=y&z', '100%', '2017-10-10T12:02:54Z', 'é视频😀', '\uD800', "!'()*~"];
  let seed = 11;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (let i = 0; i < 500; i++) {
    const params = new Map<string, string>();
    for (let j = random(8); j >= 0; j--) params.set(`${values[random(values.length)]}${random(3)}`, values[random(values.length)] as string);
    if (random(2) === 0) params.set('Signature', 'ignored');
    for (const method of ['GET', 'post']) {
      assert.equal(stringToSignV1(method, params), `${method.toUpperCase()}&${percentEncode('/')}&${percentEncode(canonicalQueryV1(params))}`);
    }
  }
});

test('canonical query: sorted by raw name in code-unit order, Signature dropped, values encoded', () => {
  const canonical = canonicalQueryV1({ a: '1', B: 'x y', 'A.10': '*', 'A.2': '~', Signature: 's', Title: 'a+b' });
  assert.equal(canonical, 'A.10=%2A&A.2=~&B=x%20y&Title=a%2Bb&a=1');
});

test('verifyV1: wrong secret echoes the server StringToSign; missing/unsupported fields', () => {
  const params = { ...VECTOR_PARAMS, Signature: VECTOR_SIGNATURE };
  assert.throws(() => verifyV1('GET', params, 'other'), (err: unknown) =>
    err instanceof ApiError && err.code === 'SignatureDoesNotMatch' && err.message.endsWith(`server string to sign is:${VECTOR_STS}`));
  assert.throws(() => verifyV1('POST', params, SECRET), hasCode('SignatureDoesNotMatch'));
  assert.throws(() => verifyV1('GET', { ...params, VideoId: 'x' }, SECRET), hasCode('SignatureDoesNotMatch'));
  assert.throws(() => verifyV1('GET', VECTOR_PARAMS, SECRET), hasCode('MissingParameter'));
  assert.throws(() => verifyV1('GET', { ...params, SignatureMethod: 'HMAC-SHA256' }, SECRET), hasCode('InvalidSignatureMethod'));
  const { SignatureMethod: _dropped, ...noMethod } = params;
  assert.throws(() => verifyV1('GET', noMethod, SECRET), hasCode('MissingParameter'));
});

test('checkTimestampV1: absent, format, window', () => {
  const ts = Date.parse('2017-10-10T12:02:54Z');
  assert.equal(checkTimestampV1('2017-10-10T12:02:54Z', ts), ts);
  assert.equal(checkTimestampV1('2017-10-10T12:02:54.123Z', ts), ts + 123);
  assert.equal(checkTimestampV1('2017-10-10T12:02:54.5Z', ts), ts + 500);
  assert.throws(() => checkTimestampV1(undefined, ts), hasCode('IllegalTimestamp'));
  assert.throws(() => checkTimestampV1('', ts), hasCode('IllegalTimestamp'));
  for (const bad of ['2017-10-10T12:02:54', '2017-10-10 12:02:54Z', '2017-10-10T12:02:54+08:00', '1507636974', '2017-02-30T00:00:00Z', '2017-10-10T24:00:00Z', '2017-10-10T12:02:54.Z']) {
    assert.throws(() => checkTimestampV1(bad, ts), hasCode('InvalidTimeStamp.Format'), bad);
  }
  const window = 15 * 60 * 1000;
  assert.equal(checkTimestampV1('2017-10-10T12:02:54Z', ts + window), ts);
  assert.equal(checkTimestampV1('2017-10-10T12:02:54Z', ts - window), ts);
  assert.throws(() => checkTimestampV1('2017-10-10T12:02:54Z', ts + window + 1), hasCode('InvalidTimeStamp.Expired'));
  assert.throws(() => checkTimestampV1('2017-10-10T12:02:54Z', ts - window - 1), hasCode('InvalidTimeStamp.Expired'));
  assert.throws(() => checkTimestampV1('2017-10-10T12:02:54Z', ts + 61_000, 60_000), hasCode('InvalidTimeStamp.Expired'));
});

/** What parseTimestamp meant before it stopped round-tripping through Date (kept as the reference). */
function parseTimestampReference(value: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?Z$/.exec(value);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const fractionMs = m[7] === undefined ? 0 : Math.floor(Number(`0${m[7]}`) * 1000);
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  const same =
    back.getUTCFullYear() === y && back.getUTCMonth() === mo - 1 && back.getUTCDate() === d &&
    back.getUTCHours() === h && back.getUTCMinutes() === mi && back.getUTCSeconds() === s;
  return same ? ms + fractionMs : undefined;
}

test('parseTimestamp agrees with the Date round trip on every field edge', () => {
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  for (const y of [0, 99, 100, 1900, 1970, 2000, 2023, 2024, 2100, 9999]) {
    for (let mo = 0; mo <= 13; mo++) {
      for (const d of [0, 1, 28, 29, 30, 31, 32]) {
        for (const [h, mi, s] of [[0, 0, 0], [23, 59, 59], [24, 0, 0], [12, 60, 0], [12, 0, 60]]) {
          const value = `${pad(y, 4)}-${pad(mo)}-${pad(d)}T${pad(h as number)}:${pad(mi as number)}:${pad(s as number)}Z`;
          assert.equal(parseTimestamp(value), parseTimestampReference(value), value);
          assert.equal(parseTimestamp(value.replace('Z', '.250Z')), parseTimestampReference(value.replace('Z', '.250Z')), value);
        }
      }
    }
  }
});

test('safeEqual', () => {
  assert.equal(safeEqual('abc', 'abc'), true);
  assert.equal(safeEqual('abc', 'abd'), false);
  assert.equal(safeEqual('abc', 'abcd'), false);
  assert.equal(safeEqual('', ''), true);
  assert.equal(safeEqual('\uD800', '\uDC00'), false); // both encode to EF BF BD
});

// ---- Real clients against a loopback capture server -------------------------------------

interface Captured {
  readonly method: string;
  readonly url: string;
  readonly contentType: string | undefined;
  readonly body: string;
}

async function capture(send: (origin: string) => Promise<unknown>): Promise<Captured> {
  let got: Captured | undefined;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got = { method: req.method ?? '', url: req.url ?? '', contentType: req.headers['content-type'], body: Buffer.concat(chunks).toString('utf8') };
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"RequestId":"x"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await send(`127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  assert.ok(got, 'server saw no request');
  return got;
}

/** What the RPC edge must do: merge query and form body, decoding `+` and `%20` as space. */
function mergedParams(c: Captured): Map<string, string> {
  const params = new Map(new URL(c.url, 'http://local').searchParams);
  if (c.contentType?.startsWith('application/x-www-form-urlencoded')) {
    for (const [k, v] of new URLSearchParams(c.body)) params.set(k, v);
  }
  return params;
}

const BUSINESS = { VideoId: 'abc 1+2*~', Title: "héllo wörld (it's) !" };

for (const method of ['GET', 'POST'] as const) {
  test(`@alicloud/pop-core ${method} request verifies`, async () => {
    const got = await capture((host) => {
      const client = new RPCClient({ endpoint: `http://${host}`, apiVersion: '2017-03-21', accessKeyId: 'ak', accessKeySecret: 's3cret' });
      return client.request('GetVideoInfo', BUSINESS, method === 'POST' ? { method: 'POST' } : {});
    });
    assert.equal(got.method, method);
    if (method === 'POST') assert.equal(got.url, '/'); // pop-core POST: everything, Signature too, in the form body
    const params = mergedParams(got);
    assert.equal(params.get('VideoId'), BUSINESS.VideoId);
    assert.equal(params.get('Title'), BUSINESS.Title);
    assert.equal(signV1(stringToSignV1(method, params), 's3cret'), params.get('Signature'));
    assert.doesNotThrow(() => verifyV1(method, params, 's3cret'));
    assert.doesNotThrow(() => checkTimestampV1(params.get('Timestamp'), Date.now()));
    params.set('VideoId', 'abc 1 2*~');
    assert.throws(() => verifyV1(method, params, 's3cret'), hasCode('SignatureDoesNotMatch'));
  });
}

test('Java-style: common params in the query, business params in a form body with + for spaces', async () => {
  // The openapi-client V1 path (signatureAlgorithm 'v2') splits params like Java core 4.x;
  // we then re-encode its body the way java.net.URLEncoder does (space → '+', '*' raw).
  const got = await capture((host) => {
    const client = new OpenApi.default(new Config({ accessKeyId: 'ak', accessKeySecret: 's3cret', endpoint: host, protocol: 'http', signatureAlgorithm: 'v2' }));
    const params = new Params({ action: 'UpdateVideoInfo', version: '2017-03-21', protocol: 'HTTP', pathname: '/', method: 'POST', authType: 'AK', style: 'RPC', reqBodyType: 'formData', bodyType: 'json' });
    return client.callApi(params, new OpenApiRequest({ query: { VideoId: 'v1' }, body: BUSINESS }), new RuntimeOptions({}));
  });
  const query = new URL(got.url, 'http://local').searchParams;
  assert.ok(query.has('Signature') && query.has('Timestamp') && !query.has('Title'));
  const javaBody = new URLSearchParams(new URLSearchParams(got.body)).toString();
  assert.match(javaBody, /Title=h%C3%A9llo\+w%C3%B6rld/);
  const params = mergedParams({ ...got, body: javaBody });
  assert.equal(params.get('Title'), BUSINESS.Title);
  assert.doesNotThrow(() => verifyV1('POST', params, 's3cret'));

  // Independent check with the §9a vector split the same way: VideoId travels in the body.
  const { VideoId, ...common } = VECTOR_PARAMS;
  const vector = mergedParams({
    method: 'POST',
    url: `/?${new URLSearchParams({ ...common, Signature: VECTOR_SIGNATURE }).toString()}`,
    contentType: 'application/x-www-form-urlencoded; charset=UTF-8',
    body: `VideoId=${VideoId}`,
  });
  assert.equal(stringToSignV1('GET', vector), VECTOR_STS);
});
