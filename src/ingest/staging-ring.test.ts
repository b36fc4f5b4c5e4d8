import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHandoverRing } from './staging-ring.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** A writer that records each hand-over and acknowledges it when told to. */
function fakeWriter() {
  const sent: Array<{ offset: number; length: number; bytes: Buffer; ack(): void; fail(e: Error): void }> = [];
  let ring: ReturnType<typeof createHandoverRing> | undefined;
  const send = (offset: number, length: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const bytes = Buffer.from(new Uint8Array(ring!.buffer, offset, length)); // copied now: the slot is reused later
      sent.push({ offset, length, bytes, ack: resolve, fail: reject });
    });
  return {
    sent,
    make(slots: number, slotBytes: number) {
      ring = createHandoverRing({ slots, slotBytes, send });
      return ring;
    },
  };
}

test('a first chunk goes at once; chunks that arrive meanwhile gather into one hand-over', async () => {
  const w = fakeWriter();
  const ring = w.make(4, 8);
  assert.equal(ring.tryPut(Buffer.from('ab')), true);
  assert.deepEqual(w.sent.map((s) => s.bytes.toString()), ['ab']);
  assert.equal(ring.tryPut(Buffer.from('cd')), true);
  assert.equal(ring.tryPut(Buffer.from('ef')), true);
  assert.equal(w.sent.length, 1, 'one in flight: the rest waits in its slot');
  w.sent[0]!.ack();
  await tick();
  assert.deepEqual(w.sent.map((s) => s.bytes.toString()), ['ab', 'cdef']);
  w.sent[1]!.ack();
  await ring.flush();
});

test('a full slot goes at once, whatever is in flight; a chunk may span slots', async () => {
  const w = fakeWriter();
  const ring = w.make(4, 4);
  assert.equal(ring.tryPut(Buffer.from('x')), true);
  assert.equal(ring.tryPut(Buffer.from('123456789')), true); // 4 + 4 + 1
  assert.deepEqual(w.sent.map((s) => s.bytes.toString()), ['x', '1234', '5678']);
  for (const s of w.sent) s.ack();
  await tick();
  assert.deepEqual(w.sent.map((s) => s.bytes.toString()), ['x', '1234', '5678', '9']);
  w.sent[3]!.ack();
  await ring.flush();
});

test('backpressure: tryPut refuses what does not fit; put waits for room and keeps the order', async () => {
  const w = fakeWriter();
  const ring = w.make(2, 4);
  assert.equal(ring.tryPut(Buffer.from('aaaa')), true);
  assert.equal(ring.tryPut(Buffer.from('bbbb')), true);
  assert.equal(ring.tryPut(Buffer.from('c')), false, 'every slot in flight');
  let put = false;
  const p = ring.put([Buffer.from('cccccc')]).then(() => {
    put = true;
  });
  await tick();
  assert.equal(put, false);
  w.sent[0]!.ack();
  await tick();
  w.sent[1]!.ack();
  await p;
  assert.equal(put, true);
  await tick();
  for (const s of w.sent.slice(2)) s.ack();
  await tick();
  for (const s of w.sent.slice(3)) s.ack();
  await ring.flush();
  assert.equal(Buffer.concat(w.sent.map((s) => s.bytes)).toString(), 'aaaabbbbcccccc');
});

test('flush hands over a partly filled slot and waits for every acknowledgement', async () => {
  const w = fakeWriter();
  const ring = w.make(2, 8);
  ring.tryPut(Buffer.from('a'));
  ring.tryPut(Buffer.from('b'));
  let flushed = false;
  const f = ring.flush().then(() => {
    flushed = true;
  });
  await tick();
  assert.deepEqual(w.sent.map((s) => s.bytes.toString()), ['a', 'b']);
  w.sent[0]!.ack();
  await tick();
  assert.equal(flushed, false);
  w.sent[1]!.ack();
  await f;
});

test('a failed hand-over is sticky: later puts and flushes reject with it', async () => {
  const w = fakeWriter();
  const ring = w.make(2, 4);
  ring.tryPut(Buffer.from('abcd'));
  const boom = new Error('ENOSPC');
  w.sent[0]!.fail(boom);
  await tick();
  assert.equal(ring.tryPut(Buffer.from('e')), false);
  await assert.rejects(ring.put([Buffer.from('e')]), boom);
  await assert.rejects(ring.flush(), boom);
  assert.equal(w.sent.length, 1, 'nothing handed over after the failure');
});

test('invalid shapes are refused', () => {
  assert.throws(() => createHandoverRing({ slots: 0, slotBytes: 8, send: async () => {} }), RangeError);
  assert.throws(() => createHandoverRing({ slots: 2, slotBytes: 0.5, send: async () => {} }), RangeError);
});
