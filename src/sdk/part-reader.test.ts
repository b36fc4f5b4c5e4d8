import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PartReader, READ_CHUNK_BYTES } from './part-reader.js';

/** Drains the stream, keeping each chunk as it was yielded (views of the lane buffer, not copies). */
async function drain(r: PartReader): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return chunks;
}

/** `bytes` in a temp file, opened for reading; both go away when the test ends. */
async function openFileOf(t: TestContext, bytes: Buffer): Promise<{ path: string; file: FileHandle }> {
  const dir = mkdtempSync(join(tmpdir(), 'openvod-part-reader-'));
  const path = join(dir, 'f.bin');
  writeFileSync(path, bytes);
  const file = await open(path, 'r');
  t.after(async () => {
    await file.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { path, file };
}

test('parts read through one lane buffer give each part exactly its bytes, in reads of at most 1 MiB', async (t) => {
  const partSize = 2 * READ_CHUNK_BYTES + 12_345; // three reads, the last a short one
  const data = randomBytes(2 * partSize + 777); // two full parts and a short last one
  const { file } = await openFileOf(t, data);
  const lane = Buffer.alloc(partSize);
  for (let n = 1; n <= 3; n++) {
    const start = (n - 1) * partSize;
    const size = Math.min(partSize, data.length - start);
    const chunks = await drain(new PartReader(file, start, size, lane));
    assert.ok(chunks.every((c) => c.length <= READ_CHUNK_BYTES && c.buffer === lane.buffer), 'every chunk is a view of the lane buffer');
    assert.deepEqual(Buffer.concat(chunks), data.subarray(start, start + size), `part ${n}`);
  }
});

test('a retry of a part re-reads the same bytes into the same place of the lane buffer', async (t) => {
  const data = randomBytes(3 * READ_CHUNK_BYTES);
  const { file } = await openFileOf(t, data);
  const lane = Buffer.alloc(data.length);
  const first = new PartReader(file, 0, data.length, lane);
  // The first attempt is cut short after one chunk (its request failed), then the part is sent again.
  for await (const _ of first) break;
  const again = Buffer.concat(await drain(new PartReader(file, 0, data.length, lane)));
  assert.deepEqual(again, data);
});

test('without a lane buffer every read gets a fresh buffer, with the same bytes', async (t) => {
  const data = randomBytes(READ_CHUNK_BYTES + 5);
  const { file } = await openFileOf(t, data);
  const chunks = await drain(new PartReader(file, 3, data.length - 3, undefined));
  assert.equal(chunks.length, 2);
  assert.notEqual(chunks[0]?.buffer, chunks[1]?.buffer);
  assert.deepEqual(Buffer.concat(chunks), data.subarray(3));
});

test('a file cut short during the upload fails the part with a clear error instead of sending fewer bytes', async (t) => {
  const data = randomBytes(2 * READ_CHUNK_BYTES);
  const { path, file } = await openFileOf(t, data);
  truncateSync(path, READ_CHUNK_BYTES + 10);
  await assert.rejects(drain(new PartReader(file, 0, data.length, Buffer.alloc(data.length))), /file ended at byte 1048586, inside a part that should reach byte 2097152/);
});

test('a part larger than the lane buffer is refused at once', async (t) => {
  const { file } = await openFileOf(t, Buffer.alloc(10));
  assert.throws(() => new PartReader(file, 0, 10, Buffer.alloc(9)), RangeError);
});
