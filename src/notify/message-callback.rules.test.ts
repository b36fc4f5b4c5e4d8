import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../domain/errors.js';
import { applyMessageCallbackChange, checkAuthKey, checkCallbackUrl } from './message-callback.rules.js';

const code = (expected: string) => (e: unknown) => e instanceof ApiError && e.code === expected;
const strict = { allowPrivate: false };

test('CallbackURL: http(s), at most 256 bytes, no user-info, no private literal unless allowed', () => {
  assert.equal(checkCallbackUrl('https://hooks.example.com/vod?t=1', strict), 'https://hooks.example.com/vod?t=1');
  assert.throws(() => checkCallbackUrl(`https://hooks.example.com/${'a'.repeat(240)}`, strict), code('LengthExceededMax'));
  assert.throws(() => checkCallbackUrl('ftp://hooks.example.com/', strict), code('InvalidParameter'));
  assert.throws(() => checkCallbackUrl('not a url', strict), code('InvalidParameter'));
  assert.throws(() => checkCallbackUrl('https://u:p@hooks.example.com/', strict), code('InvalidParameter'));
  for (const u of ['http://127.0.0.1:9/cb', 'http://localhost/cb', 'http://10.1.2.3/', 'http://[::1]/', 'http://169.254.169.254/latest']) {
    assert.throws(() => checkCallbackUrl(u, strict), code('InvalidParameter'), u);
  }
  assert.equal(checkCallbackUrl('http://127.0.0.1:9/cb', { allowPrivate: true }), 'http://127.0.0.1:9/cb');
  assert.throws(() => checkCallbackUrl('http://169.254.169.254/', { allowPrivate: true }), code('InvalidParameter'), 'metadata stays refused');
});

test('AuthKey: at most 32 characters mixing upper, lower and digits', () => {
  assert.equal(checkAuthKey('Abc123'), 'Abc123');
  assert.throws(() => checkAuthKey('abc123'), code('InvalidParameter'));
  assert.throws(() => checkAuthKey('ABC123'), code('InvalidParameter'));
  assert.throws(() => checkAuthKey('AbcDef'), code('InvalidParameter'));
  assert.throws(() => checkAuthKey('Abc 123'), code('InvalidParameter'));
  assert.throws(() => checkAuthKey(`Ab1${'x'.repeat(30)}`), code('LengthExceededMax'));
});

test('SetMessageCallback: first set needs a URL and defaults to ALL; later calls change only what they give', () => {
  assert.throws(() => applyMessageCallbackChange('app-1000000', undefined, {}, strict), code('MissingParameter'));
  const first = applyMessageCallbackChange('app-1000000', undefined, { callbackUrl: 'https://a.example/cb' }, strict);
  assert.deepEqual(first, { appId: 'app-1000000', callbackType: 'HTTP', callbackUrl: 'https://a.example/cb', eventTypes: 'ALL', authSwitch: 'off', authKey: '' });
  const keyed = applyMessageCallbackChange('app-1000000', first, { authSwitch: 'on', authKey: 'Key123abc' }, strict);
  assert.equal(keyed.callbackUrl, 'https://a.example/cb');
  assert.equal(keyed.authSwitch, 'on');
  const none = applyMessageCallbackChange('app-1000000', keyed, { eventTypeList: '' }, strict);
  assert.equal(none.eventTypes, '');
  assert.equal(none.authKey, 'Key123abc');
  assert.throws(() => applyMessageCallbackChange('app-1000000', undefined, { callbackUrl: 'https://a.example/', authSwitch: 'on' }, strict), code('MissingParameter'));
  assert.throws(() => applyMessageCallbackChange('app-1000000', first, { authSwitch: 'maybe' }, strict), code('InvalidParameter'));
});

test('MNS is answered with UnsupportedOperation', () => {
  assert.throws(() => applyMessageCallbackChange('app-1000000', undefined, { callbackType: 'MNS', mnsQueueName: 'q' }, strict), code('UnsupportedOperation'));
  assert.throws(() => applyMessageCallbackChange('app-1000000', undefined, { callbackType: 'mns' }, strict), code('UnsupportedOperation'));
});
