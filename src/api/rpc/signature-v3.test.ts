import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenApi, { Config, OpenApiRequest, Params } from '@alicloud/openapi-client';
import { RuntimeOptions } from '@alicloud/tea-util';
import { ApiError } from '../../domain/errors.js';
import {
  canonicalHeadersV3,
  canonicalQueryV3,
  canonicalRequestV3,
  checkAcsDateV3,
  parseAuthorizationV3,
  sha256Hex,
  signV3,
  stringToSignV3,
  verifyV3,
} from './signature-v3.js';
import type { AuthorizationV3, RequestHeaders } from './signature-v3.js';

const hasCode = (code: string) => (err: unknown): boolean => err instanceof ApiError && err.code === code;
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

test('sha256Hex of the empty body', () => {
  assert.equal(sha256Hex(''), EMPTY_SHA256);
  assert.equal(sha256Hex(new Uint8Array()), EMPTY_SHA256);
});

test('parseAuthorizationV3: well-formed, tolerant of blanks', () => {
  const auth = parseAuthorizationV3('ACS3-HMAC-SHA256 Credential=LTAIxyz,SignedHeaders=host;x-acs-action;x-acs-date,Signature=abc123');
  assert.deepEqual(auth, { algorithm: 'ACS3-HMAC-SHA256', accessKeyId: 'LTAIxyz', signedHeaders: ['host', 'x-acs-action', 'x-acs-date'], signature: 'abc123' });
  const spaced = parseAuthorizationV3('  ACS3-HMAC-SHA256  Credential=ak, SignedHeaders=host, Signature=ff ');
  assert.deepEqual(spaced.signedHeaders, ['host']);
  assert.equal(spaced.signature, 'ff');
});

test('parseAuthorizationV3: malformed → IncompleteSignature, other algorithms → InvalidSignatureMethod', () => {
  for (const bad of [
    '',
    'ACS3-HMAC-SHA256',
    'Bearer abc',
    'ACS3-HMAC-SHA256 Credential=ak,SignedHeaders=host',
    'ACS3-HMAC-SHA256 Credential=ak,Signature=ff',
    'ACS3-HMAC-SHA256 SignedHeaders=host,Signature=ff',
    'ACS3-HMAC-SHA256 Credential=,SignedHeaders=host,Signature=ff',
    'ACS3-HMAC-SHA256 Credential=ak,Credential=bk,SignedHeaders=host,Signature=ff',
    'ACS3-HMAC-SHA256 Credential=ak,SignedHeaders=host;;x-acs-date,Signature=ff',
    'ACS3-HMAC-SHA256 Credential=ak,SignedHeaders=host x,Signature=ff',
  ]) {
    assert.throws(() => parseAuthorizationV3(bad), hasCode('IncompleteSignature'), bad);
  }
  for (const alg of ['ACS3-HMAC-SM3', 'ACS3-RSA-SHA256', 'acs3-hmac-sha256']) {
    assert.throws(() => parseAuthorizationV3(`${alg} Credential=ak,SignedHeaders=host,Signature=ff`), hasCode('InvalidSignatureMethod'), alg);
  }
});

test('canonical query: raw keys sorted, values RFC 3986-encoded, duplicates ordered by value', () => {
  assert.equal(canonicalQueryV3([]), '');
  assert.equal(
    canonicalQueryV3([['b', '2'], ['a', 'x y*~+é'], ['Z', ''], ['b', '1']]),
    'Z=&a=x%20y%2A~%2B%C3%A9&b=1&b=2',
  );
});

test('canonical headers: only the signed ones, sorted, trimmed, repeats sorted and joined by ","', () => {
  const headers: RequestHeaders = { host: ' example.com ', 'x-acs-b': ['z', ' a'], 'x-acs-a': '1', 'user-agent': 'not signed' };
  assert.equal(canonicalHeadersV3(headers, ['x-acs-b', 'host', 'x-acs-a', 'x-acs-missing']),
    'host:example.com\nx-acs-a:1\nx-acs-b:a,z\nx-acs-missing:\n');
});

test('canonical request: SignedHeaders line is the client list verbatim (Tea Java lists it unsorted)', () => {
  const canonical = canonicalRequestV3({
    method: 'post',
    path: '',
    query: [['VideoId', 'v 1']],
    headers: { host: 'h', 'x-acs-date': 'd' },
    signedHeaders: ['x-acs-date', 'host'],
    payloadHash: EMPTY_SHA256,
  });
  assert.equal(canonical, `POST\n/\nVideoId=v%201\nhost:h\nx-acs-date:d\n\nx-acs-date;host\n${EMPTY_SHA256}`);
});

test('checkAcsDateV3', () => {
  const now = Date.parse('2024-05-01T08:00:00Z');
  assert.equal(checkAcsDateV3('2024-05-01T08:10:00Z', now), now + 600_000);
  assert.throws(() => checkAcsDateV3(undefined, now), hasCode('MissingParameter'));
  assert.throws(() => checkAcsDateV3('Wed, 01 May 2024 08:00:00 GMT', now), hasCode('InvalidTimeStamp.Format'));
  assert.throws(() => checkAcsDateV3('2024-05-01T08:16:00Z', now), hasCode('InvalidTimeStamp.Expired'));
});

// ---- The real @alicloud/openapi-client against a loopback capture server ------------------

interface Captured {
  readonly method: string;
  readonly url: string;
  readonly headers: NodeJS.Dict<string[]>;
  readonly body: Buffer;
}

async function capture(send: (host: string) => Promise<unknown>): Promise<Captured> {
  let got: Captured | undefined;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got = { method: req.method ?? '', url: req.url ?? '', headers: req.headersDistinct, body: Buffer.concat(chunks) };
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

const QUERY = { VideoId: 'abc 1+2*~', Title: 'héllo wörld' };

async function sendV3(config: Record<string, string>, request: OpenApiRequest): Promise<Captured> {
  return capture((host) => {
    const client = new OpenApi.default(new Config({ accessKeyId: 'ak', accessKeySecret: 's3cret', endpoint: host, protocol: 'http', ...config }));
    const params = new Params({ action: 'GetVideoInfo', version: '2017-03-21', protocol: 'HTTP', pathname: '/', method: 'POST', authType: 'AK', style: 'RPC', reqBodyType: 'formData', bodyType: 'json' });
    return client.callApi(params, request, new RuntimeOptions({}));
  });
}

/** What the RPC edge does with a captured request. */
function toVerifyInput(got: Captured, secret = 's3cret') {
  const url = new URL(got.url, 'http://local');
  const authorization: AuthorizationV3 = parseAuthorizationV3(got.headers['authorization']?.[0] ?? '');
  return {
    method: got.method,
    path: got.url.split('?')[0] ?? '/',
    query: [...url.searchParams] as Array<[string, string]>,
    headers: got.headers,
    body: got.body,
    authorization,
    secret,
  };
}

test('@alicloud/openapi-client V3 (RPC, POST, params in the query) verifies', async () => {
  const got = await sendV3({}, new OpenApiRequest({ query: QUERY }));
  const input = toVerifyInput(got);
  assert.equal(got.method, 'POST');
  assert.equal(got.body.length, 0);
  assert.equal(input.authorization.accessKeyId, 'ak');
  // What it chose to sign: every x-acs-* plus host — not accept, not user-agent. The
  // credentials library adds x-acs-credentials-provider ('static_ak'), signed like the rest.
  assert.deepEqual(input.authorization.signedHeaders,
    ['host', 'x-acs-action', 'x-acs-content-sha256', 'x-acs-credentials-provider', 'x-acs-date', 'x-acs-signature-nonce', 'x-acs-version']);
  assert.equal(got.headers['x-acs-credentials-provider']?.[0], 'static_ak');
  assert.equal(got.headers['x-acs-content-sha256']?.[0], EMPTY_SHA256);
  assert.equal(got.headers['x-acs-action']?.[0], 'GetVideoInfo');
  assert.ok(!new URL(got.url, 'http://local').searchParams.has('Action')); // action travels in a header

  const canonical = canonicalRequestV3({ ...input, signedHeaders: input.authorization.signedHeaders, payloadHash: sha256Hex(got.body) });
  assert.equal(signV3(stringToSignV3(canonical), 's3cret'), input.authorization.signature);
  assert.doesNotThrow(() => verifyV3(input));
  assert.doesNotThrow(() => checkAcsDateV3(got.headers['x-acs-date']?.[0], Date.now()));

  const tampered = input.query.map(([k, v]): [string, string] => [k, k === 'VideoId' ? 'abc 1 2*~' : v]);
  assert.throws(() => verifyV3({ ...input, query: tampered }), hasCode('SignatureDoesNotMatch'));
  assert.throws(() => verifyV3({ ...input, query: [...input.query, ['Extra', '1']] }), hasCode('SignatureDoesNotMatch'));
  assert.throws(() => verifyV3({ ...input, headers: { ...input.headers, 'x-acs-action': 'DeleteVideo' } }), hasCode('SignatureDoesNotMatch'));
  assert.throws(() => verifyV3({ ...input, body: 'VideoId=x' }), hasCode('SignatureDoesNotMatch'));
  assert.throws(() => verifyV3({ ...input, secret: 'other' }), hasCode('SignatureDoesNotMatch'));
  const { signedHeaders } = input.authorization;
  assert.throws(
    () => verifyV3({ ...input, authorization: { ...input.authorization, signedHeaders: signedHeaders.filter((h) => h !== 'x-acs-signature-nonce') } }),
    hasCode('IncompleteSignature'),
  );
});

test('@alicloud/openapi-client V3 with a form body signs content-type and the body hash', async () => {
  const got = await sendV3({}, new OpenApiRequest({ query: { VideoId: 'v1' }, body: { Title: 'a b+c' } }));
  const input = toVerifyInput(got);
  assert.ok(input.authorization.signedHeaders.includes('content-type'));
  assert.equal(got.headers['x-acs-content-sha256']?.[0], sha256Hex(got.body));
  assert.doesNotThrow(() => verifyV3(input));
  assert.throws(() => verifyV3({ ...input, body: 'Title=a+b%2Bc' }), hasCode('SignatureDoesNotMatch'));
});

test('@alicloud/openapi-client V3 with STS credentials signs the token headers', async () => {
  const got = await sendV3({ securityToken: 'tok en', type: 'sts' }, new OpenApiRequest({ query: QUERY }));
  const input = toVerifyInput(got);
  assert.ok(input.authorization.signedHeaders.includes('x-acs-security-token'));
  assert.ok(input.authorization.signedHeaders.includes('x-acs-accesskey-id'));
  assert.doesNotThrow(() => verifyV3(input));
  const { signedHeaders } = input.authorization;
  assert.throws(
    () => verifyV3({ ...input, authorization: { ...input.authorization, signedHeaders: signedHeaders.filter((h) => h !== 'x-acs-security-token') } }),
    hasCode('IncompleteSignature'),
  );
});
