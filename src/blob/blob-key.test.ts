import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidBlobKeyError } from './blob-errors.js';
import { assertValidKey, assertValidPrefix, isValidKey } from './blob-key.js';
import { INVALID_KEYS } from './blob-store.conformance.js';

describe('assertValidKey', () => {
  test('accepts ordinary keys', () => {
    for (const key of ['a', 'v1/source.mp4', 'v1/snapshots/0001.jpg', '.hidden', 'a/..b/c..', 'v 1/ü 😀.mp4', 'k'.repeat(255), `${'a'.repeat(255)}/${'b'.repeat(255)}/${'c'.repeat(255)}/${'d'.repeat(255)}`]) {
      assert.doesNotThrow(() => assertValidKey(key), key);
      assert.equal(isValidKey(key), true);
    }
  });

  test('rejects invalid keys with InvalidBlobKeyError', () => {
    for (const key of [...INVALID_KEYS, 'a/..', '..', 'a/.', 'tab\there', 'del\u007f', 'é'.repeat(513)]) {
      assert.throws(() => assertValidKey(key), InvalidBlobKeyError, JSON.stringify(key));
      assert.equal(isValidKey(key), false);
    }
  });

  test('counts the limits in UTF-8 bytes', () => {
    assert.doesNotThrow(() => assertValidKey(`${'é'.repeat(127)}/x`)); // 254-byte segment
    assert.throws(() => assertValidKey('é'.repeat(128)), /255 bytes/); // 256-byte segment
    const key1024 = Array.from({ length: 8 }, () => 'x'.repeat(127)).join('/'); // 8*127 + 7 = 1023
    assert.doesNotThrow(() => assertValidKey(`${key1024}y`));
    assert.throws(() => assertValidKey(`${key1024}yz`), /1024 bytes/);
  });

  test('rejects non-strings at run time', () => {
    assert.throws(() => assertValidKey(42 as unknown as string), InvalidBlobKeyError);
  });
});

describe('assertValidPrefix', () => {
  test('accepts keys, keys with a trailing slash, and partial segments', () => {
    for (const prefix of ['v1', 'v1/', 'v1/snap', 'a/b/c/']) assert.doesNotThrow(() => assertValidPrefix(prefix), prefix);
  });

  test('accepts the empty prefix only when allowed', () => {
    assert.throws(() => assertValidPrefix(''), InvalidBlobKeyError);
    assert.doesNotThrow(() => assertValidPrefix('', { allowEmpty: true }));
  });

  test('rejects prefixes that are not key-shaped', () => {
    for (const prefix of ['/', '../', '/abs', 'a//', 'a/./', 'a/../', 'a\\', 'x\u0000', '//']) {
      assert.throws(() => assertValidPrefix(prefix, { allowEmpty: true }), InvalidBlobKeyError, JSON.stringify(prefix));
    }
  });
});
