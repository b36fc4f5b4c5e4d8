import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type PlanInput, parseContentRange, planResponse, sameRepresentation, transferHeaders } from './fetch-response.js';

const url = new URL('http://media.example/v.mp4?sig=secret');
const input = (over: Partial<PlanInput>): PlanInput => ({
  status: 200, headers: {}, url, requestedFrom: 0, stored: {}, knownTotal: undefined, maxBytes: 1000, nowMs: 0, ...over,
});

test('Content-Range parsing', () => {
  assert.deepEqual(parseContentRange('bytes 10-19/100'), { satisfied: true, start: 10, end: 19, total: 100 });
  assert.deepEqual(parseContentRange('bytes 10-19/*'), { satisfied: true, start: 10, end: 19, total: undefined });
  assert.deepEqual(parseContentRange('bytes */100'), { satisfied: false, total: 100 });
  for (const bad of [undefined, '', 'bytes 19-10/100', 'bytes 10-100/100', 'items 1-2/3', 'bytes 1-2']) assert.equal(parseContentRange(bad), undefined, String(bad));
});

test('request headers: Range and If-Range only when resuming; weak ETags never in If-Range', () => {
  assert.deepEqual(transferHeaders(0, { etag: '"a"' }).range, undefined);
  const h = transferHeaders(10, { etag: '"a"', lastModified: 'LM' });
  assert.equal(h.range, 'bytes=10-');
  assert.equal(h['if-range'], '"a"');
  assert.equal(transferHeaders(10, { etag: 'W/"a"', lastModified: 'LM' })['if-range'], 'LM');
  assert.equal(transferHeaders(10, { etag: 'W/"a"' })['if-range'], undefined);
  assert.equal(transferHeaders(10, {})['accept-encoding'], 'identity');
});

test('validators: ETags decide when both sides have one, else Last-Modified', () => {
  assert.ok(sameRepresentation({ etag: '"a"' }, { etag: '"a"' }));
  assert.ok(!sameRepresentation({ etag: '"a"' }, { etag: '"b"' }));
  assert.ok(!sameRepresentation({ lastModified: 'x' }, { lastModified: 'y' }));
  assert.ok(sameRepresentation({ etag: '"a"' }, { lastModified: 'y' }));
  assert.ok(sameRepresentation({}, { etag: '"b"' }));
});

test('206 that continues our bytes → append', () => {
  const plan = planResponse(input({ status: 206, requestedFrom: 10, headers: { 'content-range': 'bytes 10-99/100', 'content-length': '90', etag: '"a"' }, stored: { etag: '"a"' } }));
  assert.deepEqual(plan, { kind: 'body', append: true, start: 10, length: 90, total: 100, validator: { etag: '"a"', lastModified: undefined }, contentType: undefined });
});

test('unusable 206 answers → restart without Range', () => {
  const cases: Partial<PlanInput>[] = [
    { headers: { 'content-range': 'bytes 0-99/100' } }, // wrong start
    { headers: {} }, // no Content-Range
    { headers: { 'content-range': 'bytes 10-99/100', etag: '"b"' }, stored: { etag: '"a"' } }, // changed
    { headers: { 'content-range': 'bytes 10-99/100' }, knownTotal: 120 }, // other size
  ];
  for (const c of cases) assert.equal(planResponse(input({ status: 206, requestedFrom: 10, ...c })).kind, 'restart', JSON.stringify(c));
  assert.equal(planResponse(input({ status: 206, requestedFrom: 0, headers: { 'content-range': 'bytes 0-9/10' } })).kind, 'fail');
});

test('206 whose Content-Length contradicts its range → non-retryable LengthMismatch', () => {
  const plan = planResponse(input({ status: 206, requestedFrom: 10, headers: { 'content-range': 'bytes 10-99/100', 'content-length': '95' } }));
  assert.equal(plan.kind, 'fail');
  assert.equal(plan.kind === 'fail' && plan.error.code, 'DownloadFailed.LengthMismatch');
  assert.equal(plan.kind === 'fail' && plan.error.retryable, false);
});

test('200 replaces what we hold; size limits apply before the body', () => {
  const plan = planResponse(input({ status: 200, requestedFrom: 10, headers: { 'content-length': '100', 'content-type': 'video/mp4' } }));
  assert.equal(plan.kind === 'body' && plan.append, false);
  const big = planResponse(input({ status: 200, headers: { 'content-length': '1001' } }));
  assert.equal(big.kind === 'fail' && big.error.code, 'FileSizeExceeded');
  const bigRange = planResponse(input({ status: 206, requestedFrom: 10, headers: { 'content-range': 'bytes 10-19/5000' } }));
  assert.equal(bigRange.kind === 'fail' && bigRange.error.code, 'FileSizeExceeded');
});

test('416: complete only when it confirms the size we hold', () => {
  assert.deepEqual(planResponse(input({ status: 416, requestedFrom: 100, headers: { 'content-range': 'bytes */100' } })), { kind: 'complete', total: 100 });
  assert.equal(planResponse(input({ status: 416, requestedFrom: 100, headers: { 'content-range': 'bytes */90' } })).kind, 'restart');
  assert.equal(planResponse(input({ status: 416, requestedFrom: 100, headers: {} })).kind, 'restart');
  assert.equal(planResponse(input({ status: 416, requestedFrom: 0 })).kind, 'fail');
});

test('redirects resolve relative Locations and re-validate the scheme', () => {
  const rel = planResponse(input({ status: 302, headers: { location: '/other?x=1#frag' } }));
  assert.equal(rel.kind === 'redirect' && rel.to.href, 'http://media.example/other?x=1');
  const bad = planResponse(input({ status: 301, headers: { location: 'gopher://x/' } }));
  assert.equal(bad.kind === 'fail' && bad.error.code, 'URLInvalidError');
  const none = planResponse(input({ status: 307 }));
  assert.equal(none.kind === 'fail' && none.error.code, 'DownloadFailed.BadResponse');
});

test('status codes → error codes; Retry-After carried; no query string in messages', () => {
  const code = (status: number, headers = {}) => {
    const p = planResponse(input({ status, headers }));
    assert.equal(p.kind, 'fail');
    return p.kind === 'fail' ? p.error : undefined;
  };
  assert.equal(code(404)?.code, 'DownloadFailed.HttpClientError');
  assert.equal(code(404)?.httpStatus, 404);
  assert.equal(code(408)?.retryable, true);
  assert.equal(code(429, { 'retry-after': '3' })?.retryAfterMs, 3000);
  assert.equal(code(429)?.code, 'DownloadFailed.Throttled');
  assert.equal(code(503, { 'retry-after': '5' })?.retryAfterMs, 5000);
  assert.equal(code(500)?.code, 'DownloadFailed.HttpServerError');
  assert.equal(code(304)?.code, 'DownloadFailed.HttpClientError');
  assert.equal(code(199)?.code, 'DownloadFailed.BadResponse');
  assert.ok(!code(403)?.message.includes('secret'));
});
