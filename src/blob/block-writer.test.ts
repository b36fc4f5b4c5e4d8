// The block writer on a real file in the OS temp dir: bytes land where they belong whatever the
// body's sizes, through O_DIRECT where the filesystem takes it, and every byte is reported once,
// in order, once it is in the file.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { type FileHandle, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { nativeLanes } from '../ingest/md5-native.js';
import { runningMd5 } from '../ingest/md5-workers.js';
import { BLOCK_BYTES, type BlockLender, BlockWriter, DIRECT_ALIGN, openDirect, setDirectWrites, spareBlocks } from './block-writer.js';
import { writeBodyToFile } from './file-writes.js';

let dir: string;
let directAvailable: boolean;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'openvod-block-writer-'));
  const probe = join(dir, 'probe');
  await writeFile(probe, '');
  const h = await openDirect(probe);
  directAvailable = h !== undefined;
  await h?.close();
});
after(() => rm(dir, { recursive: true, force: true }));

/** Cuts `bytes` into chunks of the given sizes, cycling. */
function chunked(bytes: Buffer, sizes: readonly number[]): Buffer[] {
  const out: Buffer[] = [];
  for (let off = 0, i = 0; off < bytes.length; i++) {
    const n = Math.min(sizes[i % sizes.length]!, bytes.length - off);
    out.push(bytes.subarray(off, off + n));
    off += n;
  }
  return out;
}

async function* body(chunks: readonly Buffer[]): AsyncGenerator<Uint8Array> {
  for (const c of chunks) yield c;
}

/**
 * Runs `fn` with a writer on `name` (created empty, or holding `existing`) from `start`, then
 * releases it and closes both handles; returns what onWritten saw, concatenated. `lent`: the
 * blocks are lent by a running MD5 (as a URL pull's staging file has them), which onWritten feeds;
 * every range it is given must lie in a lent block (taken without a copy), and its digest must be
 * the MD5 of what was seen.
 */
async function withWriter(
  name: string,
  opts: { existing?: Buffer; start?: number; head?: Uint8Array; lent?: boolean },
  fn: (writer: BlockWriter, handle: FileHandle) => Promise<void>,
): Promise<{ path: string; seen: Buffer }> {
  const path = join(dir, name);
  await writeFile(path, opts.existing ?? Buffer.alloc(0));
  const handle = await open(path, 'r+');
  const direct = await openDirect(path);
  const seen: Buffer[] = [];
  const hash = opts.lent ? runningMd5() : undefined;
  const lentBlocks: Uint8Array[] = [];
  const lender: BlockLender | undefined = hash && {
    lend: (bytes, align) => hash.lend(bytes, align)?.then((b) => (lentBlocks.push(b), b)),
    unlend: () => hash.unlend(),
    fill: (block, offset, source) => hash.fill(block, offset, source),
  };
  const onWritten = (b: Uint8Array): Promise<void> | void => {
    seen.push(Buffer.from(b));
    if (!hash) return;
    assert.ok(lentBlocks.some((l) => l.buffer === b.buffer && b.byteOffset >= l.byteOffset && b.byteOffset + b.length <= l.byteOffset + l.length), 'a written range lies in a lent block');
    return hash.update(b);
  };
  const writer = new BlockWriter({ buffered: handle, direct }, opts.start ?? 0, onWritten, opts.head, lender);
  try {
    await fn(writer, handle);
    if (hash) {
      assert.ok(lentBlocks.length > 0 || seen.length === 0, 'blocks were lent');
      assert.equal(await hash.digest(), createHash('md5').update(Buffer.concat(seen)).digest('hex'), 'the hash took exactly the bytes written');
    }
  } finally {
    writer.release();
    hash?.forget();
    await direct?.close();
    await handle.close();
  }
  return { path, seen: Buffer.concat(seen) };
}

test('writeBodyToFile: bodies of every awkward size land byte for byte', async () => {
  const sizes = [0, 1, DIRECT_ALIGN - 1, DIRECT_ALIGN, DIRECT_ALIGN + 1, BLOCK_BYTES - 1, BLOCK_BYTES, BLOCK_BYTES + 1, 3 * BLOCK_BYTES + 12_345];
  for (const size of sizes) {
    const bytes = randomBytes(size);
    const path = join(dir, `size-${size}`);
    const handle = await open(path, 'wx');
    try {
      await writeBodyToFile({ handle, path }, 0, body(chunked(bytes, [65_536, 7, 100_003])));
    } finally {
      await handle.close();
    }
    assert.deepEqual(await readFile(path), bytes, `a body of ${size} bytes`);
  }
});

// Blocks from the pool, and lent by a running MD5 as a URL pull's staging file has them (where the
// native helper is built: without its copy, a hash lends none).
for (const source of nativeLanes() ? (['pool', 'lent'] as const) : (['pool'] as const)) {
  const lent = source === 'lent';
  test(`${source} blocks: full blocks go direct when the filesystem allows it, the unaligned tail buffered; onWritten sees every byte once, in order`, async () => {
    const bytes = randomBytes(2 * BLOCK_BYTES + 5_000);
    const { path, seen } = await withWriter(`direct-${source}`, { lent }, async (writer, handle) => {
      assert.equal(writer.direct, directAvailable);
      await writer.write(chunked(bytes, [300_000]));
      // Two whole blocks are in the file; the rest is held.
      assert.equal(writer.position, bytes.length);
      assert.equal(writer.written, 2 * BLOCK_BYTES);
      assert.equal((await handle.stat()).size, 2 * BLOCK_BYTES);
      await writer.flush();
      assert.equal(writer.written, bytes.length);
    });
    assert.deepEqual(seen, bytes);
    assert.deepEqual(await readFile(path), bytes);
  });

  test(`${source} blocks: writing on after a flush rewrites the flushed tail's block without reporting its bytes again`, async () => {
    const bytes = randomBytes(BLOCK_BYTES + 3 * DIRECT_ALIGN + 77);
    const cut = DIRECT_ALIGN + 100; // the first flush leaves an unaligned file
    const { path, seen } = await withWriter(`resume-${source}`, { lent }, async (writer) => {
      await writer.write([bytes.subarray(0, cut)]);
      await writer.flush();
      assert.equal(writer.written, cut);
      assert.deepEqual(await readFile(join(dir, `resume-${source}`)), bytes.subarray(0, cut));
      await writer.write([bytes.subarray(cut)]);
      await writer.flush();
    });
    assert.deepEqual(seen, bytes);
    assert.deepEqual(await readFile(path), bytes);
  });

  test(`${source} blocks: a body starting at an unaligned offset is written buffered, and the bytes before it are left alone`, async () => {
    const head = randomBytes(1000);
    const tail = randomBytes(BLOCK_BYTES + 10);
    const { path } = await withWriter(`unaligned-${source}`, { existing: head, start: head.length, lent }, async (writer) => {
      assert.equal(writer.direct, false);
      await writer.write([tail]);
      await writer.flush();
    });
    assert.deepEqual(await readFile(path), Buffer.concat([head, tail]));
  });

  test(`${source} blocks: a file that ends inside a block goes on direct when given that block's head, reporting only the new bytes`, async () => {
    const first = randomBytes(DIRECT_ALIGN + 904);
    const rest = randomBytes(BLOCK_BYTES + 3);
    const { path, seen } = await withWriter(`head-${source}`, { existing: first, start: first.length, head: first.subarray(DIRECT_ALIGN), lent }, async (writer) => {
      assert.equal(writer.direct, directAvailable);
      assert.equal(writer.written, first.length);
      await writer.write([rest]);
      await writer.flush();
    });
    assert.deepEqual(seen, rest);
    assert.deepEqual(await readFile(path), Buffer.concat([first, rest]));
  });
}

test('a direct handle whose writes are refused (EINVAL) is dropped for buffered writes, losing nothing', async () => {
  const path = join(dir, 'refused');
  const handle = await open(path, 'w+');
  let refused = 0;
  const refusing = {
    write: () => {
      refused++;
      return Promise.reject(Object.assign(new Error('Invalid argument'), { code: 'EINVAL' }));
    },
  } as unknown as FileHandle;
  const bytes = randomBytes(2 * BLOCK_BYTES + 1);
  const writer = new BlockWriter({ buffered: handle, direct: refusing }, 0);
  try {
    assert.equal(writer.direct, true);
    await writer.write([bytes]);
    await writer.flush();
    assert.equal(writer.direct, false);
  } finally {
    writer.release();
    await handle.close();
  }
  assert.equal(refused, 1, 'one refusal is enough');
  assert.deepEqual(await readFile(path), bytes);
});

test('direct writes switched off: no direct handle, the same bytes', async () => {
  setDirectWrites(false);
  try {
    const path = join(dir, 'off');
    await writeFile(path, '');
    assert.equal(await openDirect(path), undefined);
    const bytes = randomBytes(BLOCK_BYTES + 4097);
    const handle = await open(path, 'r+');
    try {
      await writeBodyToFile({ handle, path }, 0, body([bytes]));
    } finally {
      await handle.close();
    }
    assert.deepEqual(await readFile(path), bytes);
  } finally {
    setDirectWrites(true);
  }
});

test('a failing body: writeBodyToFile rejects once no write is running, and the block goes back to the pool', async () => {
  const path = join(dir, 'failing');
  const handle = await open(path, 'w+');
  new BlockWriter({ buffered: handle }, 0).release(); // the pool holds at least one block
  const before = spareBlocks();
  const broken = new Error('the client went away');
  async function* failing(): AsyncGenerator<Uint8Array> {
    yield randomBytes(BLOCK_BYTES + 1);
    throw broken;
  }
  try {
    await assert.rejects(writeBodyToFile({ handle, path }, 0, failing()), (e: unknown) => e === broken);
  } finally {
    await handle.close();
  }
  // The first block was written before the failure; nothing after it.
  assert.equal((await readFile(path)).length, BLOCK_BYTES);
  assert.equal(spareBlocks(), before);
});

test('a writer used after release throws instead of writing into a block someone else holds', async () => {
  const path = join(dir, 'released');
  const handle = await open(path, 'w+');
  const writer = new BlockWriter({ buffered: handle }, 0);
  writer.release();
  writer.release();
  await assert.rejects(writer.write([Buffer.from('x')]), /released/);
  await handle.close();
});
