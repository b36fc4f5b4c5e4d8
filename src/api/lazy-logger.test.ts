import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import { createLogger } from '../logger.js';
import { lazyChildLogger } from './lazy-logger.js';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const parent = createLogger('info', stream) as unknown as FastifyBaseLogger;
  let children = 0;
  const child = parent.child.bind(parent);
  parent.child = ((bindings, options) => {
    children++;
    return child(bindings, options);
  }) as FastifyBaseLogger['child'];
  return { parent, lines, children: () => children };
}

test('the child logger is built on first use, with its bindings, and only once', () => {
  const c = capture();
  const log = lazyChildLogger(c.parent, { requestId: 'REQ-1' }, {});
  assert.equal(c.children(), 0);
  assert.equal(log.level, 'info');
  log.debug('not logged at info');
  log.error({ code: 'X' }, 'failed');
  log.info('again');
  assert.equal(c.children(), 1);
  assert.deepEqual(c.lines.map((l) => [l.requestId, l.msg, l.code]), [['REQ-1', 'failed', 'X'], ['REQ-1', 'again', undefined]]);
});

test('secrets stay redacted through the lazy child', () => {
  const c = capture();
  lazyChildLogger(c.parent, { requestId: 'REQ-2' }, {}).warn({ key: { accessKeySecret: 'hunter2' } }, 'oops');
  assert.equal((c.lines[0]?.key as Record<string, unknown>).accessKeySecret, '[redacted]');
});

test('a request that never logs never builds a child', () => {
  const c = capture();
  for (let i = 0; i < 100; i++) lazyChildLogger(c.parent, { requestId: `REQ-${i}` }, {});
  assert.equal(c.children(), 0);
});
