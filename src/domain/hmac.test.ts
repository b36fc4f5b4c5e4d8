import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { hmac } from './hmac.js';

test('hmac equals createHmac for both algorithms and encodings, keys short, block-sized and longer, messages of any size and script', () => {
  const keys = ['', 'k', 'benchRootSecret000000000001&', 'x'.repeat(64), 'y'.repeat(65), 'ключ-🔑'.repeat(20), randomBytes(40).toString('base64')];
  const messages = ['', 'GET&%2F&Action%3DGetVideoInfo', 'ünï cödé 日本語 🎬', 'm'.repeat(511), 'n'.repeat(5000), randomBytes(3000).toString('latin1'), '\ud800 lone'];
  for (const algorithm of ['sha1', 'sha256'] as const) {
    for (const encoding of ['base64', 'hex'] as const) {
      for (const key of keys) {
        for (const message of messages) {
          assert.equal(hmac(algorithm, key, message, encoding), createHmac(algorithm, key).update(message, 'utf8').digest(encoding), `${algorithm} ${encoding} key ${key.length} message ${message.length}`);
        }
      }
    }
  }
  // A long message grew the key's buffer; a short one after it must not hash the leftovers.
  assert.equal(hmac('sha1', 'k', 'short', 'hex'), createHmac('sha1', 'k').update('short').digest('hex'));
});

test('hmac: RFC 2202 and RFC 4231 test cases', () => {
  assert.equal(hmac('sha1', 'Jefe', 'what do ya want for nothing?', 'hex'), 'effcdf6ae5eb2fa2d27416d5f184df9c259a7c79');
  assert.equal(hmac('sha256', 'Jefe', 'what do ya want for nothing?', 'hex'), '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
});
