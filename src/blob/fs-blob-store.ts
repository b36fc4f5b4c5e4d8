// BlobStore on a local filesystem (the embedded default). Layout: see fs-blob-layout.ts.
//
// A put streams into `.tmp/<uuid>` (MD5 on the way, bounded memory through stream.pipeline's
// backpressure), fsyncs, then — under a per-key lock — writes the sidecar and renames the file
// over `objects/<key>`: readers see the old file or the new one, never a part, and an open read
// keeps its inode. Any failure removes the temp file. A crash (kill -9) can only leave files in
// `.tmp/`, which no read path looks at and sweepTemp() removes.
//
// putFile with `move` renames the caller's file into place instead (fs-blob-move.ts), having
// hashed it first unless given `md5Hex` or `skipMd5`; without `move`, or across filesystems, the
// file is streamed through the put path like any body (its MD5 metered on the way, so a copy
// keeps the MD5 etag even with `skipMd5`).
//
// One process per root: the per-key lock is in memory. Distributed deployments use S3.

import type { FileHandle } from 'node:fs/promises';
import { constants, mkdirSync } from 'node:fs';
import { lstat, mkdir, open, readdir, rename, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { addAbortSignal } from 'node:stream';
import type { Readable } from 'node:stream';
import { assertValidMaxBytes, meterBody } from './blob-body.js';
import type { MeteredBody } from './blob-body.js';
import { BlobAbortedError, BlobError, BlobNotFoundError, BlobSourceError, BlobStorageError, BlobStoreClosedError, InvalidBlobKeyError } from './blob-errors.js';
import { assertValidKey, assertValidPrefix } from './blob-key.js';
import { assertRangeShape, resolveRange } from './blob-range.js';
import { SOURCE_READ_CHUNK_BYTES, inspectSourceFile, md5OfFile, normalizeMd5Hex, openSourceFile } from './blob-source-file.js';
import type { SourceFile } from './blob-source-file.js';
import type { BlobBody, BlobInfo, BlobListEntry, BlobStore, GetOptions, PutFileOptions, PutOptions } from './blob-store.js';
import { commitObject, removeObject, statObject } from './fs-blob-commit.js';
import type { RenameFn } from './fs-blob-commit.js';
import { errnoCode } from './fs-blob-io.js';
import { walkObjects } from './fs-blob-list.js';
import type { FsLayout } from './fs-blob-layout.js';
import { fsLayout, isReserved, newTempPath, objectPath } from './fs-blob-layout.js';
import { CROSS_DEVICE, moveIntoPlace } from './fs-blob-move.js';
import type { MoveContext } from './fs-blob-move.js';
import { createKeyLock } from './key-lock.js';
import { writeBodyToFile } from './file-writes.js';

export interface FsBlobStoreOptions {
  /** Directory that holds everything (created if missing). Must be one filesystem. */
  root: string;
  /**
   * Objects are the plain files under `root` (a directory that already holds media, e.g. a
   * storage for RegisterMedia); the store's own files go to `<root>/.openvod/`, a reserved name.
   * Default false: objects live in `<root>/objects/`.
   */
  plain?: boolean | undefined;
  /**
   * How putFile's `move` renames the caller's file into place (default fs.promises.rename).
   * A seam for tests: one that fails with EXDEV exercises the copy fallback.
   */
  renameSource?: RenameFn | undefined;
}

export interface FsBlobStore extends BlobStore {
  readonly kind: 'fs';
  /** Absolute root directory. */
  readonly root: string;
  /**
   * Path of the file holding `key`, for tools that read files directly (ffprobe). Read-only:
   * writing there bypasses the store. Does not check that the object exists.
   */
  pathOf(key: string): string;
  /**
   * Removes temp files at least `olderThanMs` old — left by a writer that crashed — except
   * this store's own writes in flight. Call at start-up. Resolves with how many were removed.
   */
  sweepTemp(olderThanMs: number): Promise<number>;
}

/** Creates the root's directories (synchronously: call once, at start-up) and the store. */
export function createFsBlobStore(opts: FsBlobStoreOptions): FsBlobStore {
  const layout = fsLayout(opts.root, { plain: opts.plain });
  try {
    for (const dir of [layout.objectsDir, layout.metaDir, layout.tmpDir]) mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new BlobStorageError(`Cannot prepare blob store directory ${layout.root}`, { cause: error });
  }
  return new FsStore(layout, opts.renameSource ?? rename);
}

/** What the copy path of putFile checks before committing (nothing is stored otherwise). */
interface SourceCheck {
  source: SourceFile;
  md5Hex: string | undefined;
}

class FsStore implements FsBlobStore {
  readonly kind = 'fs';
  readonly #layout: FsLayout;
  readonly #lock = createKeyLock();
  /** Temp files of writes in flight, which sweepTemp must spare. */
  readonly #temps = new Set<string>();
  /** One controller per write in flight, aborted by close(). */
  readonly #writes = new Map<AbortController, Promise<unknown>>();
  readonly #move: MoveContext;
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(layout: FsLayout, renameSource: RenameFn) {
    this.#layout = layout;
    this.#move = { layout, lock: this.#lock, temps: this.#temps, rename: renameSource };
  }

  get root(): string {
    return this.#layout.root;
  }

  #assertKey(key: string): void {
    assertValidKey(key);
    if (isReserved(this.#layout, key)) throw new InvalidBlobKeyError(key, 'reserved for the store itself');
  }

  pathOf(key: string): string {
    this.#assertKey(key);
    return objectPath(this.#layout, key);
  }

  async put(key: string, body: BlobBody, opts: PutOptions = {}): Promise<BlobInfo> {
    this.#assertOpen();
    this.#assertKey(key);
    assertValidMaxBytes(opts.maxBytes);
    return this.#putBody(key, body, opts, undefined);
  }

  async putFile(key: string, path: string, opts: PutFileOptions = {}): Promise<BlobInfo> {
    this.#assertOpen();
    this.#assertKey(key);
    const md5Hex = normalizeMd5Hex(opts.md5Hex);
    const { contentType, signal } = opts;
    if (signal?.aborted === true) throw new BlobAbortedError({ cause: signal.reason });
    const source = await inspectSourceFile(path);
    if (opts.move === true) {
      const moved = await this.#tracked(signal, async (ownSignal) => {
        const etag = md5Hex ?? (opts.skipMd5 === true ? undefined : await md5OfFile(source, ownSignal));
        return moveIntoPlace(this.#move, { key, source, etag, contentType, signal: ownSignal });
      });
      if (moved !== CROSS_DEVICE) return moved;
    }
    // A copy: not asked to move, or the file is on another filesystem.
    const handle = await openSourceFile(source);
    const body = handle.createReadStream({ highWaterMark: SOURCE_READ_CHUNK_BYTES, autoClose: true });
    let info: BlobInfo;
    try {
      info = await this.#putBody(key, body, { contentType, signal }, { source, md5Hex });
    } finally {
      body.destroy(); // normally done already; this covers a failure before the body was read
    }
    if (opts.move === true) await removeSource(source);
    return info;
  }

  /** put() once its arguments are checked; `check` is set for putFile's copy path. */
  async #putBody(key: string, body: BlobBody, opts: PutOptions, check: SourceCheck | undefined): Promise<BlobInfo> {
    let meter: MeteredBody | undefined;
    // The body's own failure is rethrown unchanged by put(); for putFile it is the file's.
    const bodyError = (error: unknown): Error | undefined => {
      if (meter?.isBodyError(error) !== true) return undefined;
      if (check !== undefined) return new BlobSourceError(check.source.path, `reading it failed (${describe(error)})`, { cause: error });
      return error instanceof Error ? error : new Error(`The body failed: ${describe(error)}`, { cause: error });
    };
    try {
      return await this.#tracked(
        opts.signal,
        (signal) => {
          meter = meterBody(body, { maxBytes: opts.maxBytes, signal });
          return this.#write(key, meter, signal, opts, check);
        },
        bodyError,
      );
    } finally {
      meter?.abandon(); // no-op once the body was read to the end
    }
  }

  /**
   * Runs one write under our own controller — fed by the caller's signal and by close(), which
   * waits for it — and maps its failure: the caller's abort, the store closing, `ownError`'s
   * answer, a BlobError as it is, anything else as BlobStorageError.
   */
  async #tracked<T>(
    userSignal: AbortSignal | undefined,
    run: (signal: AbortSignal) => Promise<T>,
    ownError?: (error: unknown) => Error | undefined,
  ): Promise<T> {
    this.#assertOpen();
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(userSignal?.reason);
    if (userSignal?.aborted === true) onAbort();
    else userSignal?.addEventListener('abort', onAbort, { once: true });
    const task = run(controller.signal);
    this.#writes.set(controller, task.catch(() => undefined));
    try {
      return await task;
    } catch (error) {
      if (userSignal?.aborted === true) throw new BlobAbortedError({ cause: userSignal.reason });
      if (controller.signal.aborted && this.#closed) throw new BlobStoreClosedError();
      const own = ownError?.(error);
      if (own !== undefined) throw own;
      if (error instanceof BlobError) throw error;
      throw new BlobStorageError(`Writing the blob failed: ${describe(error)}`, { cause: error });
    } finally {
      this.#writes.delete(controller);
      userSignal?.removeEventListener('abort', onAbort);
    }
  }

  async #write(key: string, meter: MeteredBody, signal: AbortSignal, opts: PutOptions, check: SourceCheck | undefined): Promise<BlobInfo> {
    if (signal.aborted) throw new BlobAbortedError({ cause: signal.reason });
    const tmpPath = newTempPath(this.#layout);
    const sidecarTmpPath = `${tmpPath}.meta`;
    this.#temps.add(tmpPath).add(sidecarTmpPath);
    let committed = false;
    try {
      await mkdir(this.#layout.tmpDir, { recursive: true }); // in case someone removed it
      // Created before any byte flows, so the cleanup below always finds it.
      const handle = await open(tmpPath, 'wx');
      try {
        await writeBodyToFile({ handle, path: tmpPath }, 0, meter.chunks, signal);
      } finally {
        await handle.close();
      }
      const temp = { path: tmpPath, size: meter.size, etag: meter.md5Hex() };
      if (check !== undefined) assertMatchesSource(check, temp);
      const info = await this.#lock.run(key, () => commitObject(this.#layout, key, temp, opts.contentType, sidecarTmpPath));
      committed = true;
      return info;
    } finally {
      if (!committed) await rm(tmpPath, { force: true }).catch(() => undefined);
      this.#temps.delete(tmpPath);
      this.#temps.delete(sidecarTmpPath);
    }
  }

  async get(key: string, opts: GetOptions = {}): Promise<Readable> {
    this.#assertOpen();
    this.#assertKey(key);
    assertRangeShape(opts);
    if (opts.signal?.aborted === true) throw new BlobAbortedError({ cause: opts.signal.reason });
    let handle: FileHandle;
    try {
      handle = await open(objectPath(this.#layout, key), constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (error) {
      const code = errnoCode(error);
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') throw new BlobNotFoundError(key, { cause: error });
      throw new BlobStorageError(`Reading ${key} failed: ${describe(error)}`, { cause: error });
    }
    try {
      // Range and content both come from this open file, whatever happens to the path meanwhile.
      const stats = await handle.stat();
      if (!stats.isFile()) throw new BlobNotFoundError(key);
      const range = resolveRange(opts, stats.size);
      const stream = handle.createReadStream({ start: range?.start, end: range?.end, autoClose: true });
      return opts.signal === undefined ? stream : addAbortSignal(opts.signal, stream);
    } catch (error) {
      await handle.close().catch(() => undefined);
      if (error instanceof BlobError) throw error;
      throw new BlobStorageError(`Reading ${key} failed: ${describe(error)}`, { cause: error });
    }
  }

  async stat(key: string): Promise<BlobInfo | null> {
    this.#assertOpen();
    this.#assertKey(key);
    try {
      return await statObject(this.#layout, key);
    } catch (error) {
      throw new BlobStorageError(`Stat of ${key} failed: ${describe(error)}`, { cause: error });
    }
  }

  async delete(key: string): Promise<void> {
    this.#assertOpen();
    this.#assertKey(key);
    try {
      await this.#lock.run(key, () => removeObject(this.#layout, key));
    } catch (error) {
      throw new BlobStorageError(`Deleting ${key} failed: ${describe(error)}`, { cause: error });
    }
  }

  async deletePrefix(prefix: string): Promise<void> {
    this.#assertOpen();
    assertValidPrefix(prefix);
    if (isReserved(this.#layout, prefix)) throw new InvalidBlobKeyError(prefix, 'reserved for the store itself');
    for await (const entry of this.list(prefix)) await this.delete(entry.key);
  }

  async *list(prefix: string): AsyncGenerator<BlobListEntry> {
    this.#assertOpen();
    assertValidPrefix(prefix, { allowEmpty: true });
    try {
      yield* walkObjects(this.#layout.objectsDir, prefix, this.#layout.reservedSegment);
    } catch (error) {
      throw new BlobStorageError(`Listing ${JSON.stringify(prefix)} failed: ${describe(error)}`, { cause: error });
    }
  }

  async sweepTemp(olderThanMs: number): Promise<number> {
    this.#assertOpen();
    if (!(Number.isFinite(olderThanMs) && olderThanMs >= 0)) throw new RangeError(`olderThanMs must be >= 0, got ${olderThanMs}`);
    let removed = 0;
    try {
      for (const name of await readdir(this.#layout.tmpDir)) {
        const path = join(this.#layout.tmpDir, name);
        if (this.#temps.has(path)) continue;
        const stats = await lstat(path).catch(() => null);
        if (stats === null || Date.now() - stats.mtimeMs < olderThanMs) continue;
        await rm(path, { force: true, recursive: true });
        removed++;
      }
    } catch (error) {
      throw new BlobStorageError(`Sweeping ${this.#layout.tmpDir} failed: ${describe(error)}`, { cause: error });
    }
    return removed;
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    for (const controller of this.#writes.keys()) controller.abort(new BlobStoreClosedError());
    await Promise.all(this.#writes.values());
  }

  #assertOpen(): void {
    if (this.#closed) throw new BlobStoreClosedError();
  }
}

/** Fails with BlobSourceError, before anything is committed, if the copy isn't the file inspected. */
function assertMatchesSource(check: SourceCheck, copied: { size: number; etag: string }): void {
  const { source, md5Hex } = check;
  if (copied.size !== source.size) throw new BlobSourceError(source.path, `changed while being stored (${source.size} bytes, then ${copied.size})`);
  if (md5Hex !== undefined && copied.etag !== md5Hex) throw new BlobSourceError(source.path, `its MD5 is ${copied.etag}, not the md5Hex given (${md5Hex})`);
}

/** The end of a move done as a copy: the stored file's source goes. */
async function removeSource(source: SourceFile): Promise<void> {
  try {
    await unlink(source.path);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return;
    throw new BlobStorageError(`Stored ${JSON.stringify(source.path)} but could not remove it: ${describe(error)}`, { cause: error });
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
