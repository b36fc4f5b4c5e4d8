// Failures before any HTTP exchange: bad URLs, DNS, TLS.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setupKit } from './fetch.test-support.js';
import { FetchLimitsError } from './fetch-limits.js';

for (const url of ['not a url', 'ftp://example.com/v.mp4', 'file:///etc/passwd', 'javascript:alert(1)', 'http://user:secret@example.com/v.mp4', 'http://']) {
  test(`URLInvalidError: ${url}`, async (t) => {
    const kit = await setupKit(t);
    const err = await kit.fail(url, { url });
    assert.equal(err.code, 'URLInvalidError');
    assert.equal(err.retryable, false);
    assert.ok(!err.message.includes('secret'), 'credentials never appear in messages');
  });
}

test('invalid limits are a programming error, not a FetchError', async (t) => {
  const kit = await setupKit(t);
  await assert.rejects(kit.fetch('/v', { limits: { maxAttempts: 0, stallTimeoutMs: -1 } }), (err: unknown) => {
    assert.ok(err instanceof FetchLimitsError);
    assert.equal(err.problems.length, 2);
    return true;
  });
});

test('NXDOMAIN → DnsLookup, retried at most once whatever maxAttempts says', async (t) => {
  let lookups = 0;
  const kit = await setupKit(t, {
    agent: {
      lookup: async (host) => {
        lookups++;
        const err: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${host}`);
        err.code = 'ENOTFOUND';
        throw err;
      },
    },
  });
  const err = await kit.fail('http://no-such-host.invalid/v.mp4', { limits: { maxAttempts: 5 } });
  assert.equal(err.code, 'DownloadFailed.DnsLookup');
  assert.match(err.message, /no-such-host\.invalid/);
  assert.equal(lookups, 2);
});

test('a temporary DNS failure (EAI_AGAIN) is retried like a network error', async (t) => {
  let lookups = 0;
  const kit = await setupKit(t, {
    agent: {
      lookup: async () => {
        lookups++;
        if (lookups < 3) {
          const err: NodeJS.ErrnoException = new Error('getaddrinfo EAI_AGAIN');
          err.code = 'EAI_AGAIN';
          throw err;
        }
        return [{ address: '127.0.0.1', family: 4 }];
      },
    },
  });
  kit.origin.serveBytes('/v', Buffer.from('hello'));
  const r = await kit.fetch(`http://media.example:${kit.origin.port}/v`);
  assert.equal(r.size, 5);
  assert.equal(r.attempts, 3);
});

function selfSignedCert(): { key: string; cert: string } | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'openvod-tls-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
    return { key: readFileSync(join(dir, 'k.pem'), 'utf8'), cert: readFileSync(join(dir, 'c.pem'), 'utf8') };
  } catch {
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const tls = selfSignedCert();

test('an untrusted certificate → Tls, not retried', { skip: tls ? false : 'openssl not available' }, async (t) => {
  const kit = await setupKit(t, { origin: { tls } });
  kit.origin.serveBytes('/v', Buffer.from('hello'));
  const err = await kit.fail('/v');
  assert.equal(err.code, 'DownloadFailed.Tls');
  assert.equal(err.retryable, false);
  assert.equal(kit.origin.stats().connections, 1);
  assert.equal(kit.origin.requests().length, 0);
});

test('https URL against a plain-http server → Tls', async (t) => {
  const kit = await setupKit(t);
  const err = await kit.fail(kit.origin.url('/v').replace('http:', 'https:'));
  assert.equal(err.code, 'DownloadFailed.Tls');
});
