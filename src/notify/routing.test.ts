import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MessageCallbackSettings } from './message-callback.rules.js';
import { routeEvent } from './routing.js';

const config: MessageCallbackSettings = {
  appId: 'app-1000000', callbackType: 'HTTP', callbackUrl: 'https://global.example/cb', eventTypes: 'FileUploadComplete,DeleteMediaComplete',
  authSwitch: 'on', authKey: 'Key123abc',
};
const event = { appId: 'app-1000000', eventType: 'FileUploadComplete', overrideUrl: null };

test('no configuration, or a type not selected: skipped, even with an override URL', () => {
  assert.equal(routeEvent(event, undefined).kind, 'skip');
  assert.equal(routeEvent({ ...event, overrideUrl: 'https://media.example/cb' }, undefined).kind, 'skip');
  assert.equal(routeEvent({ ...event, eventType: 'MediaBaseChangeComplete', overrideUrl: 'https://media.example/cb' }, config).kind, 'skip');
  assert.equal(routeEvent(event, { ...config, eventTypes: '' }).kind, 'skip');
});

test('the global URL, or the media override; the app key signs both', () => {
  assert.deepEqual(routeEvent(event, config), { kind: 'send', url: 'https://global.example/cb', authKey: 'Key123abc', overridden: false });
  assert.deepEqual(routeEvent({ ...event, overrideUrl: 'https://media.example/cb' }, config), {
    kind: 'send', url: 'https://media.example/cb', authKey: 'Key123abc', overridden: true,
  });
  const off = routeEvent(event, { ...config, authSwitch: 'off' });
  assert.equal(off.kind === 'send' ? off.authKey : 'x', undefined);
});
