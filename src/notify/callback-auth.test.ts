import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { authHeaders, openvodSignature, vodSignature } from './callback-auth.js';

test('X-VOD-SIGNATURE: the reference test vector', () => {
  assert.equal(vodSignature('https://www.example.com/your/callback', 1519375990, 'test123'), 'c72b60894140fa98920f1279219b7ed4');
});

test('X-OpenVOD-Signature: t=<unix>,v1=hex HMAC-SHA256(key, "<t>.<body>")', () => {
  const body = '{"EventId":"e1","EventType":"FileUploadComplete"}';
  const expected = createHmac('sha256', 'Key123abc').update(`1700000000.${body}`).digest('hex');
  assert.equal(openvodSignature('Key123abc', 1700000000, body), `t=1700000000,v1=${expected}`);
});

test('authHeaders: all three headers with one timestamp, none without a key', () => {
  const h = authHeaders({ callbackUrl: 'https://r.example/cb?x=1', rawBody: '{}', authKey: 'Abc123', nowMs: 1_700_000_000_999 });
  assert.equal(h['x-vod-timestamp'], '1700000000');
  assert.match(h['x-vod-timestamp'] ?? '', /^\d{10}$/);
  assert.equal(h['x-vod-signature'], vodSignature('https://r.example/cb?x=1', 1700000000, 'Abc123'));
  assert.equal(h['x-openvod-signature'], openvodSignature('Abc123', 1700000000, '{}'));
  assert.deepEqual(authHeaders({ callbackUrl: 'https://r.example/', rawBody: '{}', authKey: undefined, nowMs: 0 }), {});
  assert.deepEqual(authHeaders({ callbackUrl: 'https://r.example/', rawBody: '{}', authKey: '', nowMs: 0 }), {});
});
