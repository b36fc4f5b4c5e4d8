// BlobStore on a local filesystem (the embedded default). Layout: see fs-blob-layout.ts.
//
// A put streams into `.tmp/<uuid>` (MD5 on the way, bounded memory through stream.pipeline's
// backpressure), fsyncs, then — under a per-key lock — writes the sidecar and renames the file
// over `objects/<key>`: readers see the old file or the new one, never a part, and an open read
// keeps its inode. Any failure removes the temp file. A crash (kill -9) can only leave files in
// `.tmp/`, which no read path looks at and sweepTemp() removes.
//
// One process per root: the per-key lock is in memory. Distributed deployments use S3.

import type { WriteStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { constants, mkdirSync } from 'node:fs';
import { lstat, mkdir, open, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { addAbortSignal } from 'node:stream';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { assertValidMaxBytes, meterBody } from './blob-body.js';
import type { MeteredBody } from './blob-body.js';
import { BlobAbortedError, BlobError, BlobNotFoundError, BlobStorageError, BlobStoreClosedError } from './blob-errors.js';
import { assertValidKey, assertValidPrefix } from './blob-key.js';
import { assertRangeShape, resolveRange } from './blob-range.js';
import type { BlobBody, BlobInfo, BlobListEntry, BlobStore, GetOptions, PutOptions } from './blob-store.js';
import { commitObject, removeObject, statObject } from './fs-blob-commit.js';
import { errnoCode } from './fs-blob-io.js';
import { walkObjects } from './fs-blob-list.js';
import type { FsLayout } from './fs-blob-layout.js';
import { fsLayout, newTempPath, objectPath } from './fs-blob-layout.js';
import { createKeyLock } from './key-lock.js';

export interface FsBlobStoreOptions {
  /** Directory that holds everything (created if missing). Must be one filesystem. */
  root: string;
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

/** Bytes buffered between the body and the file; bounds memory per write. */
const WRITE_HIGH_WATER_MARK = 1024 * 1024;

/** Creates the root's directories (synchronously: call once, at start-up) and the store. */
export function createFsBlobStore(opts: FsBlobStoreOptions): FsBlobStore {
  const layout = fsLayout(opts.root);
  try {
    for (const dir of [layout.objectsDir, layout.metaDir, layout.tmpDir]) mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new BlobStorageError(`Cannot prepare blob store directory ${layout.root}`, { cause: error });
  }
  return new FsStore(layout);
}

class FsStore implements FsBlobStore {
  readonly kind = 'fs';
  readonly #layout: FsLayout;
  readonly #lock = createKeyLock();
  /** Temp files of writes in flight, which sweepTemp must spare. */
  readonly #temps = new Set<string>();
  /** One controller per write in flight, aborted by close(). */
  readonly #writes = new Map<AbortController, Promise<unknown>>();
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(layout: FsLayout) {
    this.#layout = layout;
  }

  get root(): string {
    return this.#layout.root;
  }

  pathOf(key: string): string {
    assertValidKey(key);
    return objectPath(this.#layout, key);
  }

  async put(key: string, body: BlobBody, opts: PutOptions = {}): Promise<BlobInfo> {
    this.#assertOpen();
    assertValidKey(key);
    assertValidMaxBytes(opts.maxBytes);
    // Our own controller, fed by the caller's signal and by close().
    const controller = new AbortController();
    const userSignal = opts.signal;
    const onAbort = (): void => controller.abort(userSignal?.reason);
    if (userSignal?.aborted === true) onAbort();
    else userSignal?.addEventListener('abort', onAbort, { once: true });
    const meter = meterBody(body, { maxBytes: opts.maxBytes, signal: controller.signal });
    const task = this.#write(key, meter, controller.signal, opts);
    this.#writes.set(controller, task.catch(() => undefined));
    try {
      return await task;
    } catch (error) {
      meter.abandon();
      throw this.#putError(error, meter, controller.signal, userSignal);
    } finally {
      this.#writes.delete(controller);
      userSignal?.removeEventListener('abort', onAbort);
    }
  }

  async #write(key: string, meter: MeteredBody, signal: AbortSignal, opts: PutOptions): Promise<BlobInfo> {
    if (signal.aborted) throw new BlobAbortedError({ cause: signal.reason });
    const tmpPath = newTempPath(this.#layout);
    const sidecarTmpPath = `${tmpPath}.meta`;
    this.#temps.add(tmpPath).add(sidecarTmpPath);
    let committed = false;
    try {
      await mkdir(this.#layout.tmpDir, { recursive: true }); // in case someone removed it
      // Created before any byte flows, so the cleanup below always finds it. The stream then
      // owns the handle: it fsyncs (`flush`) and closes it.
      const file = (await open(tmpPath, 'wx')).createWriteStream({ flush: true, highWaterMark: WRITE_HIGH_WATER_MARK });
      try {
        await pipeline(meter.chunks, file, { signal });
      } finally {
        await closed(file);
      }
      const temp = { path: tmpPath, size: meter.size, etag: meter.md5Hex() };
      const info = await this.#lock.run(key, () => commitObject(this.#layout, key, temp, opts.contentType, sidecarTmpPath));
      committed = true;
      return info;
    } finally {
      if (!committed) await rm(tmpPath, { force: true }).catch(() => undefined);
      this.#temps.delete(tmpPath);
      this.#temps.delete(sidecarTmpPath);
    }
  }

  #putError(error: unknown, meter: MeteredBody, signal: AbortSignal, userSignal: AbortSignal | undefined): Error {
    if (userSignal?.aborted === true) return new BlobAbortedError({ cause: userSignal.reason });
    if (signal.aborted && this.#closed) return new BlobStoreClosedError();
    if (meter.isBodyError(error)) return error instanceof Error ? error : new Error(`The body failed: ${describe(error)}`, { cause: error });
    if (error instanceof BlobError) return error;
    return new BlobStorageError(`Writing the blob failed: ${describe(error)}`, { cause: error });
  }

  async get(key: string, opts: GetOptions = {}): Promise<Readable> {
    this.#assertOpen();
    assertValidKey(key);
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
    assertValidKey(key);
    try {
      return await statObject(this.#layout, key);
    } catch (error) {
      throw new BlobStorageError(`Stat of ${key} failed: ${describe(error)}`, { cause: error });
    }
  }

  async delete(key: string): Promise<void> {
    this.#assertOpen();
    assertValidKey(key);
    try {
      await this.#lock.run(key, () => removeObject(this.#layout, key));
    } catch (error) {
      throw new BlobStorageError(`Deleting ${key} failed: ${describe(error)}`, { cause: error });
    }
  }

  async deletePrefix(prefix: string): Promise<void> {
    this.#assertOpen();
    assertValidPrefix(prefix);
    for await (const entry of this.list(prefix)) await this.delete(entry.key);
  }

  async *list(prefix: string): AsyncGenerator<BlobListEntry> {
    this.#assertOpen();
    assertValidPrefix(prefix, { allowEmpty: true });
    try {
      yield* walkObjects(this.#layout.objectsDir, prefix);
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

/** Resolves once `stream` has released its file (destroying it if pipeline left it open). */
function closed(stream: WriteStream): Promise<void> {
  if (stream.closed) return Promise.resolve();
  return new Promise((resolve) => {
    stream.once('close', () => resolve());
    if (!stream.destroyed) stream.destroy();
  });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
