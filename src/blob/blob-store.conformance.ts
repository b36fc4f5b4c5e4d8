// The behaviour every BlobStore adapter must have, as one node:test suite (the pattern of
// tus-node-server's shared store tests). An adapter's test file calls
// `blobStoreConformance('<name>', make)`; `make` returns a fresh, empty store per test.
// Nothing here may depend on how an adapter stores things.

import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, readFile, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Readable } from 'node:stream';
import {
  BlobAbortedError,
  BlobKeyConflictError,
  BlobNotFoundError,
  BlobSourceError,
  BlobStoreClosedError,
  BlobTooLargeError,
  InvalidBlobKeyError,
  RangeNotSatisfiableError,
} from './blob-errors.js';
import type { BlobInfo, BlobListEntry, BlobStore } from './blob-store.js';
import {
  bodyOf,
  digestStream,
  failingBody,
  gatedBody,
  generatedBuffer,
  generatedBytes,
  md5Hex,
  md5OfGenerated,
  readAll,
  writeGeneratedFile,
} from './blob-test-data.js';

export interface BlobStoreHarness {
  store: BlobStore;
  cleanup(): Promise<void>;
}

const MiB = 1024 * 1024;
const EMPTY_MD5 = 'd41d8cd98f00b204e9800998ecf8427e';

export const INVALID_KEYS: readonly string[] = [
  '',
  '../x',
  'a/../b',
  '/abs',
  'a//b',
  'a/./b',
  '.',
  'a/',
  'a\\b',
  'x\u0000y',
  'line\nbreak',
  'k'.repeat(1025),
  `v1/${'s'.repeat(256)}`,
  'lone\ud800surrogate',
];

export function blobStoreConformance(name: string, make: () => Promise<BlobStoreHarness>): void {
  /** A test with its own fresh store, closed and cleaned up whatever happens. */
  const it = (title: string, fn: (store: BlobStore) => Promise<void>, timeoutMs = 30_000): void => {
    test(title, { timeout: timeoutMs }, async () => {
      const { store, cleanup } = await make();
      try {
        await fn(store);
      } finally {
        await store.close();
        await cleanup();
      }
    });
  };

  /** Like `it`, plus a fresh local directory for putFile's source files. */
  const itWithFiles = (title: string, fn: (store: BlobStore, dir: string) => Promise<void>): void => {
    it(title, async (store) => {
      const dir = await mkdtemp(join(tmpdir(), 'openvod-blob-src-'));
      try {
        await fn(store, dir);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  };

  describe(`BlobStore conformance: ${name}`, () => {
    describe('put, get and stat', () => {
      it('streams ~5 MB in and out unchanged, with the MD5 as etag', async (store) => {
        const size = 5 * MiB + 123;
        const info = await store.put('v1/source.mp4', generatedBytes(1, size), { contentType: 'video/mp4' });
        const expected = generatedBuffer(1, size);
        assert.equal(info.key, 'v1/source.mp4');
        assert.equal(info.size, size);
        assert.equal(info.etag, md5Hex(expected));
        assert.equal(info.contentType, 'video/mp4');
        const body = await readAll(await store.get('v1/source.mp4'));
        assert.equal(body.length, size);
        assert.ok(body.equals(expected), 'content differs');
      });

      it('reports size, etag, content type and last-modified in stat', async (store) => {
        const data = generatedBuffer(2, 1000);
        const put = await store.put('v1/cover.jpg', bodyOf(data), { contentType: 'image/jpeg' });
        const info = await store.stat('v1/cover.jpg');
        assert.ok(info);
        assert.equal(info.key, 'v1/cover.jpg');
        assert.equal(info.size, 1000);
        assert.equal(info.etag, md5Hex(data));
        assert.equal(info.contentType, 'image/jpeg');
        assert.ok(info.lastModified instanceof Date && !Number.isNaN(info.lastModified.getTime()));
        assert.ok(Math.abs(info.lastModified.getTime() - Date.now()) < 5 * 60_000, 'lastModified is not recent');
        assert.deepEqual(info, put);
      });

      it('leaves contentType undefined when none is given', async (store) => {
        const info = await store.put('a/b', bodyOf(Buffer.from('x')));
        assert.equal(info.contentType, undefined);
        assert.equal((await store.stat('a/b'))?.contentType, undefined);
      });

      it('accepts a Node Readable as body', async (store) => {
        const data = generatedBuffer(3, 300_000);
        const info = await store.put('r/readable.bin', Readable.from(generatedBytes(3, 300_000)));
        assert.equal(info.etag, md5Hex(data));
        assert.ok((await readAll(await store.get('r/readable.bin'))).equals(data));
      });

      it('stores an empty object', async (store) => {
        const info = await store.put('e/empty', bodyOf());
        assert.equal(info.size, 0);
        assert.equal(info.etag, EMPTY_MD5);
        assert.equal((await store.stat('e/empty'))?.size, 0);
        assert.equal((await readAll(await store.get('e/empty'))).length, 0);
      });

      it('keeps keys with spaces, dots and non-ASCII characters exactly', async (store) => {
        const keys = ['v 1/my video ü.mp4', 'v1/.hidden', 'v1/..two-dots', 'v1/日本語/カバー.jpg', 'v1/emoji-😀.png'];
        for (const [i, key] of keys.entries()) await store.put(key, bodyOf(Buffer.from(`#${i}`)));
        for (const [i, key] of keys.entries()) assert.equal((await readAll(await store.get(key))).toString(), `#${i}`);
        assert.deepEqual(await keysOf(store.list('')), sortedKeys(keys));
      });

      it('returns null from stat and BlobNotFoundError from get for a missing key', async (store) => {
        assert.equal(await store.stat('nope/missing.mp4'), null);
        await assert.rejects(store.get('nope/missing.mp4'), (e: unknown) => e instanceof BlobNotFoundError && e.code === 'BlobNotFound');
      });
    });

    describe('ranged reads', () => {
      const data = generatedBuffer(4, 1000);
      const read = async (store: BlobStore, start?: number, end?: number): Promise<Buffer> => readAll(await store.get('r/obj', { start, end }));

      it('serves start-only, start+end, end-only, first, last and single bytes', async (store) => {
        await store.put('r/obj', bodyOf(data));
        assert.ok((await read(store, 990)).equals(data.subarray(990)));
        assert.ok((await read(store, 10, 19)).equals(data.subarray(10, 20)));
        assert.ok((await read(store, undefined, 9)).equals(data.subarray(0, 10)));
        assert.ok((await read(store, 0, 0)).equals(data.subarray(0, 1)));
        assert.ok((await read(store, 999, 999)).equals(data.subarray(999)));
        assert.ok((await read(store, 999)).equals(data.subarray(999)));
        assert.ok((await read(store, 500, 500)).equals(data.subarray(500, 501)));
        assert.ok((await read(store, 0, 999)).equals(data));
      });

      it('clamps an end past the last byte', async (store) => {
        await store.put('r/obj', bodyOf(data));
        assert.ok((await read(store, 995, 5000)).equals(data.subarray(995)));
      });

      it('rejects a range that starts at or past the end with RangeNotSatisfiableError', async (store) => {
        await store.put('r/obj', bodyOf(data));
        const unsatisfiable = (e: unknown) => e instanceof RangeNotSatisfiableError && e.code === 'RangeNotSatisfiable';
        await assert.rejects(store.get('r/obj', { start: 1000 }), unsatisfiable);
        await assert.rejects(store.get('r/obj', { start: 1000, end: 1005 }), unsatisfiable);
        await assert.rejects(store.get('r/obj', { start: 5000 }), unsatisfiable);
      });

      it('rejects malformed ranges with RangeNotSatisfiableError', async (store) => {
        await store.put('r/obj', bodyOf(data));
        for (const range of [{ start: 20, end: 10 }, { start: -1 }, { start: 1.5 }, { end: -2 }]) {
          await assert.rejects(store.get('r/obj', range), RangeNotSatisfiableError, JSON.stringify(range));
        }
      });

      it('rejects any range on an empty object, but serves it whole', async (store) => {
        await store.put('r/empty', bodyOf());
        await assert.rejects(store.get('r/empty', { start: 0 }), RangeNotSatisfiableError);
        await assert.rejects(store.get('r/empty', { start: 0, end: 0 }), RangeNotSatisfiableError);
        assert.equal((await readAll(await store.get('r/empty'))).length, 0);
      });

      it('checks the key before the range: a missing key is not found', async (store) => {
        await assert.rejects(store.get('r/missing', { start: 0, end: 10 }), BlobNotFoundError);
      });
    });

    describe('overwrite', () => {
      it('replaces content, etag, size and content type', async (store) => {
        await store.put('o/obj', bodyOf(generatedBuffer(5, 5000)), { contentType: 'video/mp4' });
        const next = generatedBuffer(6, 1234);
        const info = await store.put('o/obj', bodyOf(next));
        assert.equal(info.size, 1234);
        assert.equal(info.etag, md5Hex(next));
        const stat = await store.stat('o/obj');
        assert.deepEqual(stat, info);
        assert.equal(stat?.contentType, undefined, 'the old content type must not survive');
        assert.ok((await readAll(await store.get('o/obj'))).equals(next));
        assert.deepEqual(await keysOf(store.list('o/')), ['o/obj']);
      });

      it('lets readers see only whole objects while a slow overwrite runs', async (store) => {
        const old = generatedBuffer(10, MiB);
        const fresh = generatedBuffer(11, 2 * MiB);
        await store.put('o/obj', bodyOf(old), { contentType: 'video/old' });
        const gated = gatedBody(11, 2 * MiB, MiB);
        const writing = store.put('o/obj', gated.body, { contentType: 'video/new' });
        try {
          await gated.reached;
          // Half of the new object has been written: the old one is still the whole truth.
          const mid = await store.stat('o/obj');
          assert.equal(mid?.size, old.length);
          assert.equal(mid?.etag, md5Hex(old));
          assert.equal(mid?.contentType, 'video/old');
          assert.ok((await readAll(await store.get('o/obj'))).equals(old));
          assert.ok((await readAll(await store.get('o/obj', { start: old.length - 10 }))).equals(old.subarray(-10)));
          const openedBefore = await store.get('o/obj');

          let writeDone = false;
          const readers = (async () => {
            let reads = 0;
            while (!writeDone || reads === 0) {
              const seen = await readAll(await store.get('o/obj'));
              assert.ok(seen.equals(old) || seen.equals(fresh), `a reader saw ${seen.length} bytes of neither version`);
              reads++;
            }
          })();
          gated.release();
          const info = await writing.finally(() => {
            writeDone = true;
          });
          await readers;
          assert.equal(info.etag, md5Hex(fresh));
          // A read opened before the overwrite finishes with the object it opened.
          assert.ok((await readAll(openedBefore)).equals(old), 'a read opened before the overwrite changed');
          assert.ok((await readAll(await store.get('o/obj'))).equals(fresh));
          assert.equal((await store.stat('o/obj'))?.contentType, 'video/new');
        } finally {
          gated.release();
          await writing.catch(() => undefined);
        }
      });

      it('ends concurrent puts of one key with one whole version (last writer wins)', async (store) => {
        const specs = [[12, 300_000], [13, 200_000], [14, 100_000]] as const;
        const versions = specs.map(([seed, size]) => generatedBuffer(seed, size));
        // Small chunks, so that the writes interleave.
        const infos = await Promise.all(specs.map(([seed, size]) => store.put('o/race', generatedBytes(seed, size, 16 * 1024))));
        const stored = await readAll(await store.get('o/race'));
        const index = versions.findIndex((v) => v.equals(stored));
        assert.notEqual(index, -1, 'the stored object is none of the versions');
        const stat = await store.stat('o/race');
        assert.equal(stat?.etag, md5Hex(stored));
        assert.equal(stat?.size, stored.length);
        assert.deepEqual(infos.map((i) => i.etag), versions.map((v) => md5Hex(v)));
      });
    });

    describe('failed writes leave nothing behind', () => {
      it('rejects with the body’s own error when it fails half-way, storing nothing', async (store) => {
        const broken = new Error('source connection reset');
        await assert.rejects(store.put('f/new', failingBody(20, 3 * MiB, broken)), (e: unknown) => e === broken);
        assert.equal(await store.stat('f/new'), null);
        await assert.rejects(store.get('f/new'), BlobNotFoundError);
        assert.deepEqual(await keysOf(store.list('')), []);
      });

      it('keeps the previous version when an overwrite’s body fails', async (store) => {
        const old = generatedBuffer(21, 100_000);
        const before = await store.put('f/obj', bodyOf(old), { contentType: 'video/mp4' });
        const broken = new Error('source went away');
        const stream = Readable.from(failingBody(22, 2 * MiB, broken));
        await assert.rejects(store.put('f/obj', stream, { contentType: 'text/plain' }), (e: unknown) => e === broken);
        assert.deepEqual(await store.stat('f/obj'), before);
        assert.ok((await readAll(await store.get('f/obj'))).equals(old));
      });

      it('stops on AbortSignal mid-write, storing nothing and keeping the previous version', async (store) => {
        const old = generatedBuffer(23, 5000);
        const before = await store.put('f/obj', bodyOf(old));
        const controller = new AbortController();
        const gated = gatedBody(24, 2 * MiB, MiB); // never released: the body hangs
        const reason = new Error('user cancelled');
        const aborted = (e: unknown) => e instanceof BlobAbortedError && e.name === 'AbortError' && e.cause === reason;
        const overwrite = assert.rejects(store.put('f/obj', gated.body, { signal: controller.signal }), aborted);
        const fresh = assert.rejects(store.put('f/fresh', gatedBody(25, 2 * MiB, MiB).body, { signal: controller.signal }), aborted);
        await gated.reached;
        controller.abort(reason);
        await Promise.all([overwrite, fresh]);
        assert.deepEqual(await store.stat('f/obj'), before);
        assert.ok((await readAll(await store.get('f/obj'))).equals(old));
        assert.equal(await store.stat('f/fresh'), null);
        assert.deepEqual(await keysOf(store.list('')), ['f/obj']);
      });

      it('rejects an already aborted signal without storing anything', async (store) => {
        await assert.rejects(store.put('f/pre', bodyOf(Buffer.from('x')), { signal: AbortSignal.abort() }), BlobAbortedError);
        assert.equal(await store.stat('f/pre'), null);
      });

      it('fails with BlobTooLargeError past maxBytes, storing nothing', async (store) => {
        await assert.rejects(store.put('f/big', generatedBytes(26, 3 * MiB), { maxBytes: 2 * MiB }), (e: unknown) => e instanceof BlobTooLargeError && e.maxBytes === 2 * MiB && e.code === 'BlobTooLarge');
        assert.equal(await store.stat('f/big'), null);
        const old = await store.put('f/obj', bodyOf(Buffer.from('old')));
        await assert.rejects(store.put('f/obj', bodyOf(Buffer.alloc(11)), { maxBytes: 10 }), BlobTooLargeError);
        assert.deepEqual(await store.stat('f/obj'), old);
        assert.deepEqual(await keysOf(store.list('')), ['f/obj']);
      });

      it('accepts a body of exactly maxBytes', async (store) => {
        const info = await store.put('f/exact', bodyOf(Buffer.alloc(10, 7)), { maxBytes: 10 });
        assert.equal(info.size, 10);
        assert.equal((await store.put('f/zero', bodyOf(), { maxBytes: 0 })).size, 0);
      });
    });

    describe('putFile', () => {
      const size = 3 * MiB + 17;
      const sourceError = (e: unknown) => e instanceof BlobSourceError && e.code === 'BlobSourceInvalid';
      const exists = async (path: string): Promise<boolean> => (await lstat(path).catch(() => null)) !== null;

      itWithFiles('stores a ~3 MB file, hashing it, and leaves the file untouched by default', async (store, dir) => {
        const path = join(dir, 'source.mp4');
        await writeGeneratedFile(path, 60, size);
        const before = await stat(path);
        const info = await store.putFile('v1/source.mp4', path, { contentType: 'video/mp4' });
        assert.equal(info.key, 'v1/source.mp4');
        assert.equal(info.size, size);
        assert.equal(info.etag, md5OfGenerated(60, size));
        assert.equal(info.contentType, 'video/mp4');
        assert.deepEqual(await store.stat('v1/source.mp4'), info);
        assert.ok((await readAll(await store.get('v1/source.mp4'))).equals(generatedBuffer(60, size)), 'content differs');
        const after = await stat(path);
        assert.deepEqual([after.ino, after.size, after.mtimeMs], [before.ino, before.size, before.mtimeMs], 'the source changed');
        assert.ok((await readFile(path)).equals(generatedBuffer(60, size)));
      });

      itWithFiles('with move, consumes the file; a given md5Hex becomes the etag', async (store, dir) => {
        const given = join(dir, 'given.bin');
        const hashed = join(dir, 'hashed.bin');
        await writeGeneratedFile(given, 61, size);
        await writeGeneratedFile(hashed, 62, size);
        const md5 = md5OfGenerated(61, size);
        const info = await store.putFile('v1/given.bin', given, { md5Hex: md5.toUpperCase(), move: true, contentType: 'video/mp4' });
        assert.equal(info.etag, md5, 'the etag is lowercase hex');
        assert.equal(info.size, size);
        assert.equal(await exists(given), false, 'the source is still there');
        assert.deepEqual(await store.stat('v1/given.bin'), info);
        assert.ok((await readAll(await store.get('v1/given.bin'))).equals(generatedBuffer(61, size)));

        const computed = await store.putFile('v1/hashed.bin', hashed, { move: true });
        assert.equal(computed.etag, md5OfGenerated(62, size));
        assert.equal(computed.contentType, undefined);
        assert.equal(await exists(hashed), false);
        assert.deepEqual(await store.stat('v1/hashed.bin'), computed);
        assert.deepEqual(await keysOf(store.list('')), ['v1/given.bin', 'v1/hashed.bin']);
      });

      // skipMd5 leaves the etag to the adapter (the MD5 or its other validator): only what holds
      // for every validator is checked here.
      itWithFiles('with skipMd5, stores the exact bytes with an etag that stat() reports too', async (store, dir) => {
        for (const [seed, move] of [[80, false], [81, true]] as const) {
          const path = join(dir, `skip-${seed}.bin`);
          await writeGeneratedFile(path, seed, size);
          const key = `v1/skip-${seed}.mp4`;
          const info = await store.putFile(key, path, { skipMd5: true, move, contentType: 'video/mp4' });
          assert.equal(typeof info.etag, 'string');
          assert.notEqual(info.etag, '', `move=${String(move)}`);
          assert.equal(info.size, size);
          assert.equal(info.contentType, 'video/mp4');
          assert.deepEqual(await store.stat(key), info);
          assert.ok((await readAll(await store.get(key))).equals(generatedBuffer(seed, size)), `content differs, move=${String(move)}`);
          assert.equal(await exists(path), !move);
        }
      });

      itWithFiles('with skipMd5, a given md5Hex still becomes the etag', async (store, dir) => {
        for (const [seed, move] of [[82, false], [83, true]] as const) {
          const path = join(dir, `given-${seed}.bin`);
          await writeGeneratedFile(path, seed, size);
          const md5 = md5OfGenerated(seed, size);
          const info = await store.putFile(`v1/given-${seed}.bin`, path, { skipMd5: true, md5Hex: md5, move });
          assert.equal(info.etag, md5, `move=${String(move)}`);
          assert.deepEqual(await store.stat(`v1/given-${seed}.bin`), info);
        }
      });

      itWithFiles('with skipMd5, the etag changes when the content does', async (store, dir) => {
        for (const move of [false, true]) {
          const etags: string[] = [];
          for (const seed of [84, 85]) {
            const path = join(dir, `v${seed}-${String(move)}.bin`);
            await writeGeneratedFile(path, seed, size); // same size: only the content differs
            etags.push((await store.putFile('o/obj', path, { skipMd5: true, move })).etag);
            assert.equal((await store.stat('o/obj'))?.etag, etags.at(-1));
            assert.ok((await readAll(await store.get('o/obj'))).equals(generatedBuffer(seed, size)));
          }
          assert.notEqual(etags[0], etags[1], `move=${String(move)}`);
        }
      });

      itWithFiles('stores an empty file', async (store, dir) => {
        const path = join(dir, 'empty');
        await writeGeneratedFile(path, 63, 0);
        const info = await store.putFile('e/empty', path, { move: true });
        assert.equal(info.size, 0);
        assert.equal(info.etag, EMPTY_MD5);
        assert.equal((await readAll(await store.get('e/empty'))).length, 0);
      });

      itWithFiles('rejects a missing file, a directory and a symlink with BlobSourceError, storing nothing', async (store, dir) => {
        const target = join(dir, 'real.bin');
        await writeGeneratedFile(target, 64, 1000);
        await symlink(target, join(dir, 'link.bin'));
        await mkdir(join(dir, 'folder'));
        for (const name of ['missing.bin', 'folder', 'link.bin']) {
          for (const move of [false, true]) {
            await assert.rejects(store.putFile('s/obj', join(dir, name), { move }), sourceError, `${name} move=${String(move)}`);
          }
        }
        assert.equal(await store.stat('s/obj'), null);
        assert.deepEqual(await keysOf(store.list('')), []);
        assert.ok((await lstat(join(dir, 'link.bin'))).isSymbolicLink(), 'the symlink was consumed');
        assert.ok(await exists(target));
      });

      itWithFiles('checks the key and md5Hex before touching the file', async (store, dir) => {
        const path = join(dir, 'source.bin');
        await writeGeneratedFile(path, 65, 1000);
        await assert.rejects(store.putFile('../x', path, { move: true }), InvalidBlobKeyError);
        await assert.rejects(store.putFile('s/obj', path, { move: true, md5Hex: 'not-an-md5' }), RangeError);
        assert.ok(await exists(path));
        assert.equal(await store.stat('s/obj'), null);
      });

      itWithFiles('replaces an existing object atomically, with or without move', async (store, dir) => {
        const old = generatedBuffer(66, MiB);
        await store.put('o/obj', bodyOf(old), { contentType: 'video/old' });
        for (const [seed, move] of [[67, false], [68, true]] as const) {
          const path = join(dir, `v${seed}.bin`);
          await writeGeneratedFile(path, seed, size);
          const previous = await readAll(await store.get('o/obj'));
          const fresh = generatedBuffer(seed, size);
          let done = false;
          const readers = (async () => {
            let reads = 0;
            while (!done || reads === 0) {
              const seen = await readAll(await store.get('o/obj'));
              assert.ok(seen.equals(previous) || seen.equals(fresh), `a reader saw ${seen.length} bytes of neither version`);
              reads++;
            }
          })();
          const info = await store.putFile('o/obj', path, { move }).finally(() => {
            done = true;
          });
          await readers;
          assert.equal(info.etag, md5Hex(fresh));
          const stat = await store.stat('o/obj');
          assert.deepEqual(stat, info);
          assert.equal(stat?.contentType, undefined, 'the old content type must not survive');
          assert.ok((await readAll(await store.get('o/obj'))).equals(fresh));
          assert.equal(await exists(path), !move);
        }
        assert.deepEqual(await keysOf(store.list('')), ['o/obj']);
      });

      itWithFiles('rejects an already aborted signal, keeping the file and storing nothing', async (store, dir) => {
        const path = join(dir, 'source.bin');
        await writeGeneratedFile(path, 69, size);
        const reason = new Error('user cancelled');
        for (const move of [false, true]) {
          const aborted = (e: unknown) => e instanceof BlobAbortedError && e.name === 'AbortError' && e.cause === reason;
          await assert.rejects(store.putFile('a/obj', path, { move, signal: AbortSignal.abort(reason) }), aborted);
        }
        assert.ok((await readFile(path)).equals(generatedBuffer(69, size)));
        assert.equal(await store.stat('a/obj'), null);
        assert.deepEqual(await keysOf(store.list('')), []);
      });
    });

    describe('keys', () => {
      for (const key of INVALID_KEYS) {
        it(`rejects the invalid key ${JSON.stringify(key.length > 40 ? `${key.slice(0, 40)}…` : key)}`, async (store) => {
          const invalid = (e: unknown) => e instanceof InvalidBlobKeyError && e.code === 'InvalidBlobKey';
          await assert.rejects(store.put(key, bodyOf(Buffer.from('x'))), invalid, 'put');
          await assert.rejects(store.putFile(key, join(tmpdir(), 'openvod-no-such-file')), invalid, 'putFile');
          await assert.rejects(store.get(key), invalid, 'get');
          await assert.rejects(store.stat(key), invalid, 'stat');
          await assert.rejects(store.delete(key), invalid, 'delete');
        });
      }

      it('rejects invalid prefixes, and the empty prefix for deletePrefix', async (store) => {
        await store.put('k/keep', bodyOf(Buffer.from('x')));
        for (const prefix of ['../', '/abs/', 'a//', 'a/./', 'a\\', 'x\u0000']) {
          await assert.rejects(store.deletePrefix(prefix), InvalidBlobKeyError, `deletePrefix ${JSON.stringify(prefix)}`);
          await assert.rejects(keysOf(store.list(prefix)), InvalidBlobKeyError, `list ${JSON.stringify(prefix)}`);
        }
        await assert.rejects(store.deletePrefix(''), InvalidBlobKeyError);
        assert.deepEqual(await keysOf(store.list('')), ['k/keep']);
      });

      it('never lets a key and a key below it corrupt each other', async (store) => {
        // S3 holds both `c` and `c/x`; a path-keyed store may refuse the second with
        // BlobKeyConflictError. Either way nothing that exists is damaged.
        for (const [first, second] of [['c/x', 'c'], ['d', 'd/x']] as const) {
          await store.put(first, bodyOf(Buffer.from(`first:${first}`)));
          try {
            await store.put(second, bodyOf(Buffer.from(`second:${second}`)));
            assert.equal((await readAll(await store.get(second))).toString(), `second:${second}`);
          } catch (error) {
            assert.ok(error instanceof BlobKeyConflictError, `unexpected ${String(error)}`);
            assert.equal(await store.stat(second), null);
          }
          assert.equal((await readAll(await store.get(first))).toString(), `first:${first}`);
        }
        await store.delete('c'); // removes the object `c` if there is one, never `c/x`
        assert.equal((await readAll(await store.get('c/x'))).toString(), 'first:c/x');
      });
    });

    describe('delete', () => {
      it('removes an object and is idempotent', async (store) => {
        await store.put('d/obj', bodyOf(Buffer.from('x')));
        await store.put('d/other', bodyOf(Buffer.from('y')));
        await store.delete('d/obj');
        await store.delete('d/obj');
        await store.delete('never/existed');
        assert.equal(await store.stat('d/obj'), null);
        await assert.rejects(store.get('d/obj'), BlobNotFoundError);
        assert.deepEqual(await keysOf(store.list('')), ['d/other']);
      });

      it('lets a deleted key be written again', async (store) => {
        await store.put('d/a/b/c', bodyOf(Buffer.from('1')));
        await store.delete('d/a/b/c');
        await store.put('d/a/b/c', bodyOf(Buffer.from('2')));
        assert.equal((await readAll(await store.get('d/a/b/c'))).toString(), '2');
      });
    });

    describe('deletePrefix', () => {
      const seed = async (store: BlobStore): Promise<void> => {
        for (const key of ['v1/source.mp4', 'v1/cover.jpg', 'v1/snapshots/0001.jpg', 'v10/source.mp4', 'v2/source.mp4', 'v1x']) {
          await store.put(key, bodyOf(Buffer.from(key)));
        }
      };

      it('removes only that prefix: v1/ spares v10/', async (store) => {
        await seed(store);
        await store.deletePrefix('v1/');
        assert.deepEqual(await keysOf(store.list('')), ['v10/source.mp4', 'v1x', 'v2/source.mp4']);
        await store.deletePrefix('v1/');
        await store.deletePrefix('nothing/here/');
        assert.deepEqual(await keysOf(store.list('')), ['v10/source.mp4', 'v1x', 'v2/source.mp4']);
        await store.put('v1/source.mp4', bodyOf(Buffer.from('again')));
        assert.equal((await readAll(await store.get('v1/source.mp4'))).toString(), 'again');
      });

      it('matches prefixes like S3: without a slash it is a plain string prefix', async (store) => {
        await seed(store);
        await store.deletePrefix('v1');
        assert.deepEqual(await keysOf(store.list('')), ['v2/source.mp4']);
      });
    });

    describe('list', () => {
      const keys = ['p/a-c', 'p/a/b', 'p/b', 'p/b0/z', 'p/é', 'p/z', 'p/Z', 'pq/x', 'q/y', 'p/a/b2/deep/er'];

      it('yields exactly the keys under a prefix, in UTF-8 byte order, with sizes', async (store) => {
        for (const key of keys) await store.put(key, bodyOf(Buffer.from(key)));
        const all = await collect(store.list(''));
        assert.deepEqual(all.map((e) => e.key), sortedKeys(keys));
        for (const entry of all) {
          assert.equal(entry.size, Buffer.byteLength(entry.key));
          assert.ok(entry.lastModified instanceof Date);
        }
        assert.deepEqual(await keysOf(store.list('p/')), sortedKeys(keys.filter((k) => k.startsWith('p/'))));
        assert.deepEqual(await keysOf(store.list('p')), sortedKeys(keys.filter((k) => k.startsWith('p'))));
        assert.deepEqual(await keysOf(store.list('p/a')), sortedKeys(['p/a-c', 'p/a/b', 'p/a/b2/deep/er']));
        assert.deepEqual(await keysOf(store.list('p/a/')), ['p/a/b', 'p/a/b2/deep/er']);
        assert.deepEqual(await keysOf(store.list('p/a/b')), ['p/a/b', 'p/a/b2/deep/er']);
        assert.deepEqual(await keysOf(store.list('nope/')), []);
        assert.deepEqual(await keysOf(store.list('q/y')), ['q/y']);
      });

      it('never shows an object that is still being written', async (store) => {
        await store.put('p/done', bodyOf(Buffer.from('x')));
        const gated = gatedBody(30, 2 * MiB, MiB);
        const writing = store.put('p/pending', gated.body);
        try {
          await gated.reached;
          assert.deepEqual(await keysOf(store.list('')), ['p/done']);
          assert.equal(await store.stat('p/pending'), null);
          await assert.rejects(store.get('p/pending'), BlobNotFoundError);
          gated.release();
          await writing;
          assert.deepEqual(await keysOf(store.list('')), ['p/done', 'p/pending']);
        } finally {
          gated.release();
          await writing.catch(() => undefined);
        }
      });
    });

    describe('reads and cancellation', () => {
      it('destroys a read stream with an AbortError when its signal fires', async (store) => {
        await store.put('g/obj', generatedBytes(40, 4 * MiB));
        const controller = new AbortController();
        const stream = await store.get('g/obj', { signal: controller.signal });
        let received = 0;
        await assert.rejects(
          (async () => {
            for await (const chunk of stream) {
              received += (chunk as Buffer).length;
              controller.abort();
            }
          })(),
          (e: unknown) => e instanceof Error && e.name === 'AbortError',
        );
        assert.ok(received < 4 * MiB);
        await assert.rejects(store.get('g/obj', { signal: AbortSignal.abort() }), (e: unknown) => e instanceof Error && e.name === 'AbortError');
      });
    });

    describe('close', () => {
      it('is idempotent; afterwards every call rejects with BlobStoreClosedError', async (store) => {
        await store.put('c/obj', bodyOf(Buffer.from('x')));
        await store.close();
        await store.close();
        const closed = (e: unknown) => e instanceof BlobStoreClosedError && e.code === 'BlobStoreClosed';
        await assert.rejects(store.put('c/new', bodyOf(Buffer.from('x'))), closed);
        await assert.rejects(store.putFile('c/new', join(tmpdir(), 'openvod-no-such-file')), closed);
        await assert.rejects(store.get('c/obj'), closed);
        await assert.rejects(store.stat('c/obj'), closed);
        await assert.rejects(store.delete('c/obj'), closed);
        await assert.rejects(store.deletePrefix('c/'), closed);
        await assert.rejects(keysOf(store.list('')), closed);
      });

      it('aborts writes still in flight', async (store) => {
        const gated = gatedBody(41, 2 * MiB, MiB);
        const outcome = store.put('c/pending', gated.body).then(
          () => 'stored',
          (e: unknown) => e,
        );
        await gated.reached;
        await store.close();
        assert.ok((await outcome) instanceof BlobStoreClosedError);
      });
    });

    describe('memory', () => {
      it('writes and reads 200 MB with bounded memory', async (store) => {
        const size = 200 * MiB;
        const before = process.memoryUsage().rss;
        let peak = before;
        const sample = (): void => {
          peak = Math.max(peak, process.memoryUsage().rss);
        };
        const timer = setInterval(sample, 5);
        let info: BlobInfo;
        let read: { md5: string; size: number };
        try {
          info = await store.put('m/big.bin', generatedBytes(50, size));
          sample();
          read = await digestStream(await store.get('m/big.bin'));
          sample();
        } finally {
          clearInterval(timer);
        }
        const growthMiB = (peak - before) / MiB;
        assert.ok(growthMiB < 100, `RSS grew by ${growthMiB.toFixed(1)} MiB while streaming 200 MiB`);
        // Only now: computing the expected digest allocates too.
        const expected = md5OfGenerated(50, size);
        assert.equal(info.size, size);
        assert.equal(info.etag, expected);
        assert.deepEqual(read, { md5: expected, size });
      }, 180_000);
    });
  });
}

async function collect(entries: AsyncIterable<BlobListEntry>): Promise<BlobListEntry[]> {
  const out: BlobListEntry[] = [];
  for await (const entry of entries) out.push(entry);
  return out;
}

async function keysOf(entries: AsyncIterable<BlobListEntry>): Promise<string[]> {
  return (await collect(entries)).map((e) => e.key);
}

/** Keys in the order S3 lists them: ascending UTF-8 bytes. */
function sortedKeys(keys: readonly string[]): string[] {
  return [...keys].sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
}
