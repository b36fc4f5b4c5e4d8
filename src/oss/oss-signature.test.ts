// Reference vectors: go-v2 `oss/signer/signer_test.go` (TestV1AuthHeader, TestV4AuthHeader,
// TestV4AuthHeaderToken, TestV4AuthHeaderWithAdditionalHeaders), the docs21 V1 example and the
// probe strings of oss-upload-subset §5.2/§5.3.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  canonicalizedResourceV1, canonicalRequestV4, type OssSigningInput, parseOssDate, parseV1Authorization, parseV4Authorization,
  signV1, signV4, stringToSignV1, stringToSignV4, v4Date,
} from './oss-signature.js';

const goDate = 'Wed, 28 Dec 2022 10:27:41 GMT';
const v1Base: OssSigningInput = {
  method: 'PUT', bucket: 'examplebucket', key: 'nelson', query: [],
  headers: { 'content-md5': 'eB5eJF1ptWaXm4bijSPyxw==', 'content-type': 'text/html', 'x-oss-meta-author': 'alice', 'x-oss-meta-magic': 'abracadabra', 'x-oss-date': goDate },
};

test('V1 go-v2 case 1: object PUT with meta headers', () => {
  const sts = stringToSignV1(v1Base);
  assert.equal(sts, `PUT\neB5eJF1ptWaXm4bijSPyxw==\ntext/html\n${goDate}\nx-oss-date:${goDate}\nx-oss-meta-author:alice\nx-oss-meta-magic:abracadabra\n/examplebucket/nelson`);
  assert.equal(signV1(sts, 'sk'), 'kSHKmLxlyEAKtZPkJhG9bZb5k7M=');
});

test('V1 go-v2 case 2: a sub-resource without value', () => {
  const sts = stringToSignV1({ ...v1Base, query: [['acl', null]] });
  assert.ok(sts.endsWith('/examplebucket/nelson?acl'));
  assert.equal(signV1(sts, 'sk'), '/afkugFbmWDQ967j1vr6zygBLQk=');
});

test('V1 go-v2 cases 3 and 4: bucket-level resource; unsigned params left out; sub-resources sorted', () => {
  const base: OssSigningInput = { method: 'GET', bucket: 'examplebucket', key: '', query: [['resourceGroup', ''], ['non-resousce', 'null']], headers: { 'x-oss-date': goDate } };
  const sts3 = stringToSignV1(base);
  assert.equal(sts3, `GET\n\n\n${goDate}\nx-oss-date:${goDate}\n/examplebucket/?resourceGroup`);
  assert.equal(signV1(sts3, 'sk'), 'vkQmfuUDyi1uDi3bKt67oemssIs=');
  const sts4 = stringToSignV1({ ...base, query: [['resourceGroup', ''], ['acl', '']] });
  assert.ok(sts4.endsWith('/examplebucket/?acl&resourceGroup'));
  assert.equal(signV1(sts4, 'sk'), 'x3E5TgOvl/i7PN618s5mEvpJDYk=');
});

test('V1 docs21 example', () => {
  const sts = 'PUT\nODBGOERFMDMzQTczRUY3NUE3NzA5QzdFNUYzMDQxNEM=\ntext/html\nThu, 17 Nov 2005 18:49:58 GMT\nx-oss-magic:abracadabra\nx-oss-meta-author:foo@bar.com\n/oss-example/nelson';
  assert.equal(signV1(sts, 'OtxrzxIsfpFjA7SwPzILwy8Bw21TLhquhboDYROV'), '26NBxoKdsyly4EDv6inkoDft/yA=');
});

test('V1 probe: presigned resource carries security-token; ListParts params are not signed; raw UTF-8 keys', () => {
  const resource = canonicalizedResourceV1('outin-test', 'sv/h/x.txt', [['OSSAccessKeyId', 'STS.testAK'], ['Expires', '1795609779'], ['Signature', 'x'], ['security-token', 'testSecurityToken']]);
  assert.equal(resource, '/outin-test/sv/h/x.txt?security-token=testSecurityToken');
  assert.equal(signV1(`GET\n\n\n1795609779\n${resource}`, 'testSecret'), 'xLwn2QPZjNLD2eADxn0YH+ri+IM=');
  assert.equal(canonicalizedResourceV1('b', 'k.mp4', [['uploadId', 'ABC'], ['max-parts', '1000'], ['part-number-marker', '0']]), '/b/k.mp4?uploadId=ABC');
  assert.equal(canonicalizedResourceV1('b', 'k.mp4', [['uploads', '']]), '/b/k.mp4?uploads');
  assert.equal(canonicalizedResourceV1('b', 'k.mp4', [['uploadId', 'X'], ['partNumber', '3']]), '/b/k.mp4?partNumber=3&uploadId=X');
  assert.equal(canonicalizedResourceV1('outin-test', 'sv/测试 a+b (1).txt', []), '/outin-test/sv/测试 a+b (1).txt');
});

test('V1 Authorization parsing', () => {
  assert.deepEqual(parseV1Authorization('OSS STS.abc:kSHKmLxlyEAKtZPkJhG9bZb5k7M='), { accessKeyId: 'STS.abc', signature: 'kSHKmLxlyEAKtZPkJhG9bZb5k7M=' });
  assert.equal(parseV1Authorization('OSS nocolon'), undefined);
  assert.equal(parseV1Authorization('Bearer x'), undefined);
});

// go-v2 builds the query with url.Values.Encode(): keys sorted, so this is the wire order.
const v4Query: Array<[string, string | null]> = [['+param1', 'value3'], ['+param2', ''], ['param1', 'value1'], ['param2', ''], ['|param1', 'value4'], ['|param2', '']];
const v4Headers = { 'x-oss-head1': 'value', abc: 'value', zabc: 'value', xyz: 'value', 'content-type': 'text/plain', 'x-oss-content-sha256': 'UNSIGNED-PAYLOAD' };
const scope = (ms: number) => ({ date: v4Date(ms).slice(0, 8), region: 'cn-hangzhou', product: 'oss' });

function v4(input: OssSigningInput, ms: number, additional: string[] = []): string {
  const creq = canonicalRequestV4(input, additional);
  return signV4('sk', scope(ms), stringToSignV4(creq, v4Date(ms), scope(ms)));
}

test('V4 go-v2 TestV4AuthHeader', () => {
  const ms = 1702743657_000;
  assert.equal(v4Date(ms), '20231216T162057Z');
  const input: OssSigningInput = { method: 'PUT', bucket: 'bucket', key: '1234+-/123/1.txt', query: v4Query, headers: { ...v4Headers, 'x-oss-date': v4Date(ms) } };
  const creq = canonicalRequestV4(input, []);
  assert.equal(creq.split('\n')[1], '/bucket/1234%2B-/123/1.txt');
  assert.equal(creq.split('\n')[2], '%2Bparam1=value3&%2Bparam2&%7Cparam1=value4&%7Cparam2&param1=value1&param2');
  assert.equal(v4(input, ms), 'e21d18daa82167720f9b1047ae7e7f1ce7cb77a31e8203a7d5f4624fa0284afe');
});

test('V4 go-v2 TestV4AuthHeaderToken', () => {
  const ms = 1702784856_000;
  const input: OssSigningInput = { method: 'PUT', bucket: 'bucket', key: '1234+-/123/1.txt', query: v4Query, headers: { ...v4Headers, 'x-oss-date': v4Date(ms), 'x-oss-security-token': 'token' } };
  assert.equal(v4(input, ms), 'b94a3f999cf85bcdc00d332fbd3734ba03e48382c36fa4d5af5df817395bd9ea');
});

test('V4 go-v2 TestV4AuthHeaderWithAdditionalHeaders', () => {
  const ms = 1702747512_000;
  const input: OssSigningInput = { method: 'PUT', bucket: 'bucket', key: '1234+-/123/1.txt', query: v4Query, headers: { ...v4Headers, 'x-oss-date': v4Date(ms) } };
  assert.equal(v4(input, ms, ['zabc', 'abc']), '4a4183c187c07c8947db7620deb0a6b38d9fbdd34187b6dbaccb316fa251212f');
});

test('V4 Authorization parsing, with and without spaces after commas', () => {
  const sig = 'e21d18daa82167720f9b1047ae7e7f1ce7cb77a31e8203a7d5f4624fa0284afe';
  const a = parseV4Authorization(`OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,Signature=${sig}`);
  assert.deepEqual(a, { accessKeyId: 'ak', date: '20231216', region: 'cn-hangzhou', product: 'oss', additionalHeaders: [], signature: sig });
  const b = parseV4Authorization(`OSS4-HMAC-SHA256 Credential=STS.x/20231216/cn-shanghai/oss/aliyun_v4_request, AdditionalHeaders=abc;zabc, Signature=${sig}`);
  assert.deepEqual(b?.additionalHeaders, ['abc', 'zabc']);
  assert.equal(b?.accessKeyId, 'STS.x');
  assert.equal(parseV4Authorization('OSS4-HMAC-SHA256 Credential=ak/2023/cn/oss/aliyun_v4_request,Signature=zz'), undefined);
});

test('dates: RFC 1123 and V4 forms', () => {
  assert.equal(parseOssDate(goDate), Date.UTC(2022, 11, 28, 10, 27, 41));
  assert.equal(parseOssDate('20231216T162057Z'), 1702743657_000);
  assert.equal(parseOssDate('yesterday'), undefined);
  assert.equal(parseOssDate('2023-12-16T16:20:57Z'), undefined);
});
