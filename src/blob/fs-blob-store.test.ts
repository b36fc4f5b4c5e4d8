import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { link, lstat, mkdtemp, open, readFile, readdir, rm, stat, symlink, utimes, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BlobAbortedError, BlobKeyConflictError, BlobNotFoundError, BlobSourceError, BlobTooLargeError } from './blob-errors.js';
import { blobStoreConformance } from './blob-store.conformance.js';
import { bodyOf, failingBody, gatedBody, generatedBuffer, md5Hex, md5OfGenerated, readAll, writeGeneratedFile } from './blob-test-data.js';
import type { RenameFn } from './fs-blob-commit.js';
import { fsLayout, sidecarPath } from './fs-blob-layout.js';
import { fallbackEtag, writeSidecar } from './fs-blob-sidecar.js';
import { createFsBlobStore } from './fs-blob-store.js';
import type { FsBlobStore } from './fs-blob-store.js';

const newRoot = (): Promise<string> => mkdtemp(join(tmpdir(), 'openvod-blob-'));

blobStoreConformance('fs', async () => {
  const root = await newRoot();
  return { store: createFsBlobStore({ root }), cleanup: () => rm(root, { recursive: true, force: true }) };
});

// A user's directory served as a storage (RegisterMedia): objects are the plain files.
blobStoreConformance('fs (plain layout)', async () => {
  const root = await newRoot();
  return { store: createFsBlobStore({ root, plain: true }), cleanup: () => rm(root, { recursive: true, force: true }) };
});

test('the plain layout serves files already in the directory and keeps its own files out of sight', async () => {
  const root = await newRoot();
  try {
    await mkdir(join(root, 'shows', 'ep 1'), { recursive: true });
    await writeFile(join(root, 'shows', 'ep 1', 'clip.mp4'), 'user bytes');
    const store = createFsBlobStore({ root, plain: true });
    const info = await store.stat('shows/ep 1/clip.mp4');
    assert.equal(info?.size, 10);
    assert.match(info?.etag ?? '', /-/, 'a file the store did not write gets a validator, not an MD5');
    assert.equal((await readAll(await store.get('shows/ep 1/clip.mp4', { start: 5 }))).toString(), 'bytes');
    await store.put('new.bin', bodyOf(Buffer.from('x')));
    const keys = [];
    for await (const e of store.list('')) keys.push(e.key);
    assert.deepEqual(keys, ['new.bin', 'shows/ep 1/clip.mp4'], 'the .openvod directory is not listed');
    await assert.rejects(store.stat('.openvod/meta'), /reserved/);
    await assert.rejects(store.deletePrefix('.openvod/'), /reserved/);
    await store.close();
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

/** A fresh fs store in its own directory, closed and removed afterwards. */
function fsTest(title: string, fn: (store: FsBlobStore, root: string) => Promise<void>, renameSource?: RenameFn): void {
  test(title, { timeout: 30_000 }, async () => {
    const root = await newRoot();
    const store = createFsBlobStore({ root, renameSource });
    try {
      await fn(store, root);
    } finally {
      await store.close();
      await rm(root, { recursive: true, force: true });
    }
  });
}

const tmpEntries = (root: string): Promise<string[]> => readdir(join(root, '.tmp'));

describe('fs blob store', () => {
  fsTest('keeps each object as a plain file at a path mirroring its key', async (store, root) => {
    const data = generatedBuffer(1, 10_000);
    await store.put('v1/snapshots/0001.jpg', bodyOf(data));
    const path = join(root, 'objects', 'v1', 'snapshots', '0001.jpg');
    assert.equal(store.pathOf('v1/snapshots/0001.jpg'), path);
    assert.ok((await readFile(path)).equals(data));
    assert.equal(store.kind, 'fs');
  });

  fsTest('leaves no temp file after successful and failed puts', async (store, root) => {
    await store.put('t/ok', bodyOf(Buffer.from('ok')));
    await store.put('t/ok', bodyOf(Buffer.from('again')));
    await assert.rejects(store.put('t/broken', failingBody(2, 200_000, new Error('boom'))));
    await assert.rejects(store.put('t/big', bodyOf(Buffer.alloc(100)), { maxBytes: 10 }), BlobTooLargeError);
    const controller = new AbortController();
    const gated = gatedBody(3, 200_000, 100_000);
    const aborted = store.put('t/aborted', gated.body, { signal: controller.signal });
    await gated.reached;
    controller.abort();
    await assert.rejects(aborted);
    await store.put('t/file', bodyOf(Buffer.from('x')));
    await assert.rejects(store.put('t/file/under', bodyOf(Buffer.from('x'))), BlobKeyConflictError);
    assert.deepEqual(await tmpEntries(root), []);
    assert.deepEqual(await readdir(join(root, 'objects', 't')), ['file', 'ok']);
  });

  fsTest('refuses a key whose path clashes with another key, changing nothing', async (store) => {
    await store.put('a/b', bodyOf(Buffer.from('ab')));
    await assert.rejects(store.put('a', bodyOf(Buffer.from('a'))), BlobKeyConflictError);
    await store.put('f', bodyOf(Buffer.from('f')));
    await assert.rejects(store.put('f/g', bodyOf(Buffer.from('fg'))), BlobKeyConflictError);
    assert.equal(await store.stat('a'), null);
    assert.equal(await store.stat('f/g'), null);
    await assert.rejects(store.get('a'), BlobNotFoundError); // a directory is not an object
    await assert.rejects(store.get('f/g'), BlobNotFoundError);
    assert.equal((await readAll(await store.get('a/b'))).toString(), 'ab');
    assert.equal((await readAll(await store.get('f'))).toString(), 'f');
  });

  fsTest('removes directories that deletes leave empty', async (store, root) => {
    await store.put('v1/a/b/c.bin', bodyOf(Buffer.from('x')));
    await store.put('v2/keep.bin', bodyOf(Buffer.from('y')));
    await store.delete('v1/a/b/c.bin');
    assert.deepEqual(await readdir(join(root, 'objects')), ['v2']);
    await store.deletePrefix('v2/');
    assert.deepEqual(await readdir(join(root, 'objects')), []);
  });

  fsTest('hides temp files left by a crash and sweeps them by age', async (store, root) => {
    await store.put('v1/source.mp4', bodyOf(Buffer.from('real')));
    const old = join(root, '.tmp', '5b0e3c1e-0000-4000-8000-000000000001');
    const oldMeta = `${old}.meta`;
    const young = join(root, '.tmp', '5b0e3c1e-0000-4000-8000-000000000002');
    for (const path of [old, oldMeta, young]) await writeFile(path, 'half-written');
    const hourAgo = new Date(Date.now() - 3_600_000);
    for (const path of [old, oldMeta]) await utimes(path, hourAgo, hourAgo);

    assert.deepEqual((await collectKeys(store)), ['v1/source.mp4']);
    assert.equal(await store.sweepTemp(60_000), 2);
    assert.deepEqual(await tmpEntries(root), ['5b0e3c1e-0000-4000-8000-000000000002']);
    assert.equal(await store.sweepTemp(0), 1);
    assert.deepEqual(await tmpEntries(root), []);
    assert.equal((await readAll(await store.get('v1/source.mp4'))).toString(), 'real');
  });

  fsTest('sweepTemp spares this store’s writes in flight', async (store, root) => {
    const gated = gatedBody(4, 2_000_000, 1_000_000);
    const writing = store.put('v1/source.mp4', gated.body);
    try {
      await gated.reached;
      await waitFor(async () => (await tmpEntries(root)).length === 1); // the file opens asynchronously
      assert.equal(await store.sweepTemp(0), 0);
      assert.equal((await tmpEntries(root)).length, 1);
      gated.release();
      assert.equal((await writing).size, 2_000_000);
      assert.deepEqual(await tmpEntries(root), []);
    } finally {
      gated.release();
      await writing.catch(() => undefined);
    }
  });

  test('a writer killed with SIGKILL leaves only invisible, sweepable temp files', { timeout: 30_000 }, async () => {
    const root = await newRoot();
    try {
      const moduleUrl = pathToFileURL(fileURLToPath(new URL('./fs-blob-store.ts', import.meta.url))).href;
      const script = `
        const { createFsBlobStore } = await import(${JSON.stringify(moduleUrl)});
        const store = createFsBlobStore({ root: ${JSON.stringify(root)} });
        setInterval(() => {}, 1000);
        async function* body() {
          yield Buffer.alloc(1024 * 1024, 1);
          process.stdout.write('writing\\n');
          await new Promise(() => {});
        }
        await store.put('v1/source.mp4', body());
      `;
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (data: Buffer) => {
          if (data.toString().includes('writing')) resolve();
        });
        child.on('exit', () => reject(new Error('the writer exited early')));
      });
      // Once the first MiB has reached the temp file, kill without warning.
      await waitFor(async () => {
        const names = await tmpEntries(root);
        const sizes = await Promise.all(names.map(async (n) => (await stat(join(root, '.tmp', n))).size));
        return sizes.some((s) => s >= 1024 * 1024);
      });
      child.kill('SIGKILL');
      assert.equal(await exited, 'SIGKILL');

      const store = createFsBlobStore({ root });
      try {
        assert.equal((await tmpEntries(root)).length, 1);
        assert.equal(await store.stat('v1/source.mp4'), null);
        assert.deepEqual(await collectKeys(store), []);
        assert.equal(await store.sweepTemp(0), 1);
        assert.deepEqual(await tmpEntries(root), []);
      } finally {
        await store.close();
      }
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  fsTest('stays consistent after a crash between the sidecar and the object rename', async (store, root) => {
    const old = Buffer.from('old content');
    const before = await store.put('v1/source.mp4', bodyOf(old), { contentType: 'video/mp4' });
    // What a commit writes first: the new version listed ahead of the current one. Then "crash".
    const sidecar = sidecarPath(fsLayout(root), 'v1/source.mp4');
    const newVersion = { size: 999, mtimeMs: before.lastModified.getTime() + 5, etag: md5Hex(Buffer.from('new')), contentType: 'text/plain' };
    const current = { size: before.size, mtimeMs: before.lastModified.getTime(), etag: before.etag, contentType: before.contentType };
    await writeSidecar(sidecar, join(root, '.tmp', 'crash.meta'), 'v1/source.mp4', [newVersion, current]);
    assert.deepEqual(await store.stat('v1/source.mp4'), before);
    // The next put keeps working from there.
    const next = await store.put('v1/source.mp4', bodyOf(Buffer.from('next')));
    assert.deepEqual(await store.stat('v1/source.mp4'), next);
  });

  fsTest('gives a file changed behind its back a fallback etag, never a stale MD5', async (store, root) => {
    const before = await store.put('v1/source.mp4', bodyOf(Buffer.from('written by the store')), { contentType: 'video/mp4' });
    await writeFile(join(root, 'objects', 'v1', 'source.mp4'), 'edited by hand');
    const after = await store.stat('v1/source.mp4');
    assert.ok(after);
    assert.notEqual(after.etag, before.etag);
    assert.match(after.etag, /-/);
    assert.equal(after.size, 'edited by hand'.length);
    assert.equal(after.contentType, undefined);
    assert.equal((await readAll(await store.get('v1/source.mp4'))).toString(), 'edited by hand');
  });

  fsTest('serves files placed by hand; a corrupt sidecar costs only the etag', async (store, root) => {
    await mkdir(join(root, 'objects', 'hand'), { recursive: true });
    await writeFile(join(root, 'objects', 'hand', 'made.bin'), 'by hand');
    await writeFile(join(root, 'objects', 'hand', 'back\\slash'), 'no key can name this');
    assert.deepEqual(await collectKeys(store), ['hand/made.bin']);
    assert.match((await store.stat('hand/made.bin'))?.etag ?? '', /-/);

    const info = await store.put('v1/cover.jpg', bodyOf(Buffer.from('jpeg')));
    await writeFile(sidecarPath(fsLayout(root), 'v1/cover.jpg'), '{not json');
    const stat = await store.stat('v1/cover.jpg');
    assert.equal(stat?.size, info.size);
    assert.match(stat?.etag ?? '', /-/);
    assert.equal((await readAll(await store.get('v1/cover.jpg'))).toString(), 'jpeg');
  });

  fsTest('does not follow symlinks under objects/', async (store, root) => {
    const outside = join(root, 'outside.txt');
    await writeFile(outside, 'secret');
    await mkdir(join(root, 'objects', 'v1'));
    await symlink(outside, join(root, 'objects', 'v1', 'link'));
    assert.equal(await store.stat('v1/link'), null);
    await assert.rejects(store.get('v1/link'), BlobNotFoundError);
    assert.deepEqual(await collectKeys(store), []);
  });

  describe('putFile', () => {
    const MiB = 1024 * 1024;
    const exists = async (path: string): Promise<boolean> => (await lstat(path).catch(() => null)) !== null;
    /** A source file outside the store's directories, on the same filesystem. */
    const sourceFile = async (root: string, name: string, seed: number, size: number): Promise<string> => {
      await mkdir(join(root, 'staging'), { recursive: true });
      const path = join(root, 'staging', name);
      await writeGeneratedFile(path, seed, size);
      return path;
    };
    const crossDevice: RenameFn = () => Promise.reject(Object.assign(new Error('EXDEV: cross-device link not permitted'), { code: 'EXDEV' }));

    fsTest('moves the file into place without copying it (same inode), later than the version it replaces', async (store, root) => {
      const old = await store.put('v1/source.mp4', bodyOf(Buffer.from('old')));
      const path = await sourceFile(root, 'download.mp4', 70, 3 * MiB);
      const old2000 = new Date('2000-01-01T00:00:00Z');
      await utimes(path, old2000, old2000); // an old download must not look older than `old`
      const { ino, dev } = await stat(path);
      const info = await store.putFile('v1/source.mp4', path, { move: true, md5Hex: md5OfGenerated(70, 3 * MiB) });
      assert.equal(await exists(path), false);
      const object = await stat(store.pathOf('v1/source.mp4'));
      assert.deepEqual([object.ino, object.dev], [ino, dev], 'the file was copied, not renamed');
      assert.ok(info.lastModified.getTime() > old.lastModified.getTime(), 'mtime not after the replaced version');
      assert.equal(object.mtime.getTime(), info.lastModified.getTime());
      assert.deepEqual(await store.stat('v1/source.mp4'), info);
      assert.deepEqual(await tmpEntries(root), []);
    });

    fsTest(
      'falls back to a copy when the rename crosses filesystems (EXDEV), still consuming the file',
      async (store, root) => {
        const before = await store.put('v1/source.mp4', bodyOf(Buffer.from('old')), { contentType: 'video/old' });
        const path = await sourceFile(root, 'download.mp4', 71, 3 * MiB);
        const { ino } = await stat(path);
        const info = await store.putFile('v1/source.mp4', path, { move: true, contentType: 'video/mp4' });
        assert.equal(info.etag, md5OfGenerated(71, 3 * MiB));
        assert.equal(await exists(path), false);
        assert.notEqual((await stat(store.pathOf('v1/source.mp4'))).ino, ino, 'expected a copy');
        assert.ok(info.lastModified.getTime() > before.lastModified.getTime());
        assert.deepEqual(await store.stat('v1/source.mp4'), info);
        assert.ok((await readAll(await store.get('v1/source.mp4'))).equals(generatedBuffer(71, 3 * MiB)));
        assert.deepEqual(await tmpEntries(root), []);

        // The rename failed after the commit had set the file's mtime: it is put back (to the
        // microsecond: utimes takes float seconds). A copy that then fails leaves the file in
        // place and the object unchanged.
        const other = await sourceFile(root, 'other.mp4', 72, 1000);
        const { mtimeMs } = await stat(other);
        await assert.rejects(store.putFile('v1/source.mp4', other, { move: true, md5Hex: md5Hex(Buffer.from('wrong')) }), BlobSourceError);
        assert.ok(Math.abs((await stat(other)).mtimeMs - mtimeMs) < 0.01, 'the file’s mtime was not restored');
        assert.deepEqual(await store.stat('v1/source.mp4'), info);
        assert.deepEqual(await tmpEntries(root), []);
      },
      crossDevice,
    );

    test('copies a file from another filesystem (/dev/shm) when it cannot be renamed', { timeout: 30_000 }, async (t) => {
      const shm = await mkdtemp('/dev/shm/openvod-blob-').catch(() => null);
      if (shm === null) return t.skip('no writable /dev/shm');
      const root = await newRoot();
      const store = createFsBlobStore({ root });
      try {
        if ((await stat(shm)).dev === (await stat(root)).dev) return t.skip('/dev/shm is on the same filesystem');
        const path = join(shm, 'download.mp4');
        await writeGeneratedFile(path, 73, 2 * MiB);
        const info = await store.putFile('v1/source.mp4', path, { move: true });
        assert.equal(info.etag, md5OfGenerated(73, 2 * MiB));
        assert.equal(await exists(path), false);
        assert.deepEqual(await store.stat('v1/source.mp4'), info);
        assert.deepEqual(await tmpEntries(root), []);
      } finally {
        await store.close();
        await rm(root, { recursive: true, force: true });
        await rm(shm, { recursive: true, force: true });
      }
    });

    fsTest('copies without consuming when move is false, checking a given md5Hex', async (store, root) => {
      const path = await sourceFile(root, 'download.mp4', 74, MiB);
      const { ino } = await stat(path);
      const info = await store.putFile('v1/source.mp4', path, { md5Hex: md5OfGenerated(74, MiB) });
      assert.notEqual((await stat(store.pathOf('v1/source.mp4'))).ino, ino);
      assert.equal((await stat(path)).ino, ino);
      assert.equal(info.etag, md5OfGenerated(74, MiB));
      // The copy reads every byte anyway, so a wrong MD5 is caught before anything is stored.
      await assert.rejects(store.putFile('v1/other.mp4', path, { md5Hex: md5Hex(Buffer.from('wrong')) }), BlobSourceError);
      assert.equal(await store.stat('v1/other.mp4'), null);
    });

    fsTest('leaves no temp file, and the source in place, after any failure', async (store, root) => {
      const path = await sourceFile(root, 'download.mp4', 75, MiB);
      const { mtimeMs } = await stat(path);
      await store.put('t/file', bodyOf(Buffer.from('x')));
      await store.put('t/dir/child', bodyOf(Buffer.from('y')));
      for (const move of [false, true]) {
        await assert.rejects(store.putFile('t/file/under', path, { move }), BlobKeyConflictError);
        await assert.rejects(store.putFile('t/dir', path, { move }), BlobKeyConflictError);
        await assert.rejects(store.putFile('t/new', path, { move, signal: AbortSignal.abort() }), BlobAbortedError);
        await assert.rejects(store.putFile('t/new', join(root, 'staging', 'missing'), { move }), BlobSourceError);
        await assert.rejects(store.putFile('t/file', store.pathOf('t/file'), { move: true }), BlobSourceError);
      }
      assert.equal((await stat(path)).mtimeMs, mtimeMs, 'a failed move changed the file’s times');
      assert.ok((await readFile(path)).equals(generatedBuffer(75, MiB)));
      assert.equal((await readAll(await store.get('t/file'))).toString(), 'x');
      assert.deepEqual(await tmpEntries(root), []);
      await store.putFile('t/copied', path);
      await store.putFile('t/moved', path, { move: true });
      assert.deepEqual(await tmpEntries(root), []);
      assert.deepEqual(await collectKeys(store), ['t/copied', 't/dir/child', 't/file', 't/moved']);
    });

    fsTest('with skipMd5, a move gives the fallback validator, which stat() reports even without the sidecar', async (store, root) => {
      const path = await sourceFile(root, 'upload.mp4', 77, 3 * MiB);
      const { ino } = await stat(path);
      const info = await store.putFile('v1/source.mp4', path, { move: true, skipMd5: true, contentType: 'video/mp4' });
      assert.equal((await stat(store.pathOf('v1/source.mp4'))).ino, ino, 'the file was copied, not renamed');
      assert.notEqual(info.etag, md5OfGenerated(77, 3 * MiB), 'the file was hashed');
      assert.equal(info.etag, fallbackEtag({ size: 3 * MiB, mtimeMs: info.lastModified.getTime() }));
      assert.equal(info.contentType, 'video/mp4');
      assert.deepEqual(await store.stat('v1/source.mp4'), info);
      await rm(sidecarPath(fsLayout(root), 'v1/source.mp4'));
      assert.equal((await store.stat('v1/source.mp4'))?.etag, info.etag);

      // A copy meters the MD5 as it streams the file, so it keeps it.
      const copied = await sourceFile(root, 'copied.mp4', 78, MiB);
      assert.equal((await store.putFile('v1/copied.mp4', copied, { skipMd5: true })).etag, md5OfGenerated(78, MiB));
    });

    fsTest('with skipMd5, a move never reads the file: a sparse 64 GiB file is stored at once', async (store, root) => {
      // Hashing 64 GiB, even of holes, takes far longer than this test's timeout.
      const path = join(root, 'huge.bin');
      const handle = await open(path, 'wx');
      try {
        await handle.truncate(64 * 1024 * MiB);
      } finally {
        await handle.close();
      }
      const info = await store.putFile('v1/huge.bin', path, { move: true, skipMd5: true });
      assert.equal(info.size, 64 * 1024 * MiB);
      assert.match(info.etag, /-/);
      assert.deepEqual(await store.stat('v1/huge.bin'), info);
      assert.equal(await exists(path), false);
    });

    fsTest('a move of another name of the object (a retried commit) succeeds, leaving the object untouched', async (store, root) => {
      // A retried CompleteMultipartUpload: the staging file, which its first try's move already
      // made the object, is linked again to the name it moves.
      const staging = await sourceFile(root, 'assembled.bin', 79, MiB);
      const name = join(root, 'staging', 'commit.bin');
      await link(staging, name);
      const first = await store.putFile('v1/source.mp4', name, { move: true, skipMd5: true, contentType: 'video/mp4' });
      const object = await stat(store.pathOf('v1/source.mp4'));
      const sidecar = sidecarPath(fsLayout(root), 'v1/source.mp4');
      const sidecarBefore = await readFile(sidecar);
      for (const opts of [{ skipMd5: true }, { contentType: 'text/plain' }, { md5Hex: md5OfGenerated(79, MiB) }]) {
        await link(staging, name);
        const again = await store.putFile('v1/source.mp4', name, { move: true, ...opts });
        assert.deepEqual(again, first, JSON.stringify(opts));
        assert.equal(await exists(name), false, 'the name passed is still there');
      }
      const after = await stat(store.pathOf('v1/source.mp4'));
      assert.deepEqual([after.ino, after.mtimeMs], [object.ino, object.mtimeMs], 'the object was replaced or touched');
      assert.ok((await readFile(sidecar)).equals(sidecarBefore), 'the sidecar was rewritten');
      assert.deepEqual(await store.stat('v1/source.mp4'), first);
      assert.ok((await readAll(await store.get('v1/source.mp4'))).equals(generatedBuffer(79, MiB)));
      assert.equal(await exists(staging), true, 'a name that was not passed went too');

      // The object's own path is refused: removing that name would remove the object.
      await assert.rejects(store.putFile('v1/source.mp4', store.pathOf('v1/source.mp4'), { move: true, skipMd5: true }), BlobSourceError);
      assert.deepEqual(await store.stat('v1/source.mp4'), first);
      assert.deepEqual(await tmpEntries(root), []);
    });

    fsTest('stops hashing a large file when aborted, keeping the file', async (store, root) => {
      const path = await sourceFile(root, 'download.mp4', 76, 64 * MiB);
      const controller = new AbortController();
      const storing = store.putFile('v1/source.mp4', path, { move: true, signal: controller.signal });
      setImmediate(() => controller.abort());
      await assert.rejects(storing, BlobAbortedError);
      assert.equal(await exists(path), true);
      assert.equal(await store.stat('v1/source.mp4'), null);
      assert.deepEqual(await tmpEntries(root), []);
    });
  });

  test('a new store on the same root sees what an earlier one stored', async () => {
    const root = await newRoot();
    try {
      const first = createFsBlobStore({ root });
      const info = await first.put('v1/source.mp4', bodyOf(Buffer.from('persisted')), { contentType: 'video/mp4' });
      await first.close();
      const second = createFsBlobStore({ root });
      assert.deepEqual(await second.stat('v1/source.mp4'), info);
      await second.close();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

/** Polls `condition` until it holds; fails after `limitMs` (a bound against hangs, not a timing claim). */
async function waitFor(condition: () => Promise<boolean>, limitMs = 10_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await condition())) {
    assert.ok(Date.now() < deadline, 'condition not reached');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function collectKeys(store: FsBlobStore): Promise<string[]> {
  const keys: string[] = [];
  for await (const entry of store.list('')) keys.push(entry.key);
  return keys;
}
