// Redirects are followed by hand: counted, loop-checked, re-validated, and every hop goes through
// the SSRF guard again.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generatedBytes, md5Hex, startOrigin } from '../../test/helpers/origin.js';
import { setupKit } from './fetch.test-support.js';

const CONTENT = generatedBytes(300_000);

test('a chain of 3 redirects is followed; finalUrl is the last hop', async (t) => {
  const kit = await setupKit(t);
  kit.origin.serveBytes('/v', CONTENT);
  kit.origin.fault('/v', { kind: 'redirect', hops: 3 });
  const r = await kit.fetch('/v');
  assert.equal(r.md5, md5Hex(CONTENT));
  assert.equal(r.finalUrl, kit.origin.url('/v?hop=3'));
  assert.equal(r.attempts, 1);
  assert.deepEqual(kit.origin.requests('/v').map((q) => q.target), ['/v', '/v?hop=1', '/v?hop=2', '/v?hop=3']);
});

for (const status of [301, 303, 307, 308]) {
  test(`redirect status ${status} is followed`, async (t) => {
    const kit = await setupKit(t);
    kit.origin.serveBytes('/v', CONTENT);
    kit.origin.fault('/v', { kind: 'redirect', hops: 1, status });
    const r = await kit.fetch('/v');
    assert.equal(r.size, CONTENT.length);
  });
}

test('6 redirects with maxRedirects 5 → TooManyRedirects', async (t) => {
  const kit = await setupKit(t);
  kit.origin.serveBytes('/v', CONTENT);
  kit.origin.fault('/v', { kind: 'redirect', hops: 6 });
  const err = await kit.fail('/v');
  assert.equal(err.code, 'DownloadFailed.TooManyRedirects');
  assert.equal(err.retryable, false);
  assert.equal(kit.origin.requests('/v').length, 6, 'the 6th Location is never requested');
});

test('a redirect loop → RedirectLoop', async (t) => {
  const kit = await setupKit(t);
  kit.origin.fault('/v', { kind: 'redirectLoop' });
  const err = await kit.fail('/v');
  assert.equal(err.code, 'DownloadFailed.RedirectLoop');
  assert.equal(kit.origin.requests('/v').length, 2);
});

test('a redirect to a non-http(s) URL → URLInvalidError', async (t) => {
  const kit = await setupKit(t);
  kit.origin.fault('/v', { kind: 'redirectTo', location: 'file:///etc/passwd' });
  const err = await kit.fail('/v');
  assert.equal(err.code, 'URLInvalidError');
});

test('a redirect without Location → BadResponse', async (t) => {
  const kit = await setupKit(t);
  kit.origin.fault('/v', { kind: 'status', status: 302 });
  const err = await kit.fail('/v');
  assert.equal(err.code, 'DownloadFailed.BadResponse');
});

test('a redirect to a private address is refused (allowPrivate=false); the target sees nothing', async (t) => {
  // The first origin is reachable only because it is explicitly allow-listed; the target on
  // 127.0.0.2 is plain loopback and must be refused before any connection is made.
  const kit = await setupKit(t, { agent: { allowPrivate: false, allowAddresses: ['127.0.0.1/32'] } });
  const target = await startOrigin({ host: '127.0.0.2' });
  t.after(() => target.close());
  target.serveBytes('/secret', CONTENT);
  kit.origin.fault('/v', { kind: 'redirectTo', location: target.url('/secret') });
  const err = await kit.fail('/v');
  assert.equal(err.code, 'URLBlocked');
  assert.match(err.message, /127\.0\.0\.2/);
  assert.equal(kit.origin.requests('/v').length, 1, 'the allowed origin was asked once (URLBlocked is not retried)');
  assert.equal(target.requests().length, 0);
  assert.equal(target.stats().connections, 0, 'not even a TCP connection reached the refused address');
});

test('a redirect to a host name resolving to loopback is refused too', async (t) => {
  const kit = await setupKit(t, {
    agent: {
      allowPrivate: false,
      allowAddresses: ['127.0.0.1/32'],
      lookup: async (host) => (host === 'internal.example' ? [{ address: '127.0.0.2', family: 4 }] : [{ address: '127.0.0.1', family: 4 }]),
    },
  });
  const target = await startOrigin({ host: '127.0.0.2' });
  t.after(() => target.close());
  kit.origin.fault('/v', { kind: 'redirectTo', location: `http://internal.example:${target.port}/secret` });
  const err = await kit.fail('/v');
  assert.equal(err.code, 'URLBlocked');
  assert.equal(target.stats().connections, 0);
});
