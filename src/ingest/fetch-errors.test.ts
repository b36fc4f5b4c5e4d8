import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FETCH_ERROR_CODES, FetchError, type FetchErrorCode } from './fetch-errors.js';

test('FetchError carries code, retryable, status, cause', () => {
  const cause = new Error('x');
  const e = new FetchError('DownloadFailed.HttpServerError', 'boom', { cause, httpStatus: 503, retryAfterMs: 10 });
  assert.ok(e instanceof Error);
  assert.equal(e.name, 'FetchError');
  assert.equal(e.code, 'DownloadFailed.HttpServerError');
  assert.equal(e.retryable, true);
  assert.equal(e.httpStatus, 503);
  assert.equal(e.retryAfterMs, 10);
  assert.equal(e.cause, cause);
  assert.equal(new FetchError('DownloadFailed.LengthMismatch', 'x', { retryable: false }).retryable, false);
});

test('the table documents every code, and the codes the brief fixed are all there', () => {
  const required: FetchErrorCode[] = [
    'URLInvalidError', 'URLBlocked', 'DownloadFailed.DnsLookup', 'DownloadFailed.Connect', 'DownloadFailed.ConnectionReset',
    'DownloadFailed.Stalled', 'DownloadFailed.HttpClientError', 'DownloadFailed.HttpServerError', 'DownloadFailed.Throttled',
    'DownloadFailed.TooManyRedirects', 'DownloadFailed.RedirectLoop', 'FileSizeExceeded', 'DownloadFailed.LengthMismatch',
    'DownloadFailed.Tls', 'Cancelled',
  ];
  for (const code of required) assert.ok(code in FETCH_ERROR_CODES, code);
  for (const [code, spec] of Object.entries(FETCH_ERROR_CODES)) {
    assert.ok(spec.description.length > 20, code);
    if (spec.retried) assert.ok(spec.retryable, `${code}: retried within a call implies retryable later`);
  }
});

test('every code used in src/ingest is in the table', () => {
  const dir = fileURLToPath(new URL('.', import.meta.url));
  const used = new Set<string>();
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.ts') || name.endsWith('.test.ts')) continue;
    for (const m of readFileSync(dir + name, 'utf8').matchAll(/new FetchError\(\s*'([^']+)'/g)) used.add(m[1]!);
  }
  assert.ok(used.size >= 10);
  for (const code of used) assert.ok(code in FETCH_ERROR_CODES, code);
});
