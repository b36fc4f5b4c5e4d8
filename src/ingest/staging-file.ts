// The local staging file of one download, and the MD5 of exactly the bytes it holds. Writes go
// through here one batch of chunks at a time and the hash is updated only after the batch is on
// disk, so the hash and the file can never disagree, whatever fails in between. A resumed file is
// re-hashed first, after cutting it back to the bytes the caller vouches for. The hash runs on a
// worker thread (md5-workers.ts), beside the main thread, which receives and writes.
import { createReadStream } from 'node:fs';
import { type FileHandle, open, rm } from 'node:fs/promises';
import { FetchError } from './fetch-errors.js';
import { runningMd5 } from './md5-workers.js';

export interface StagingFile {
  readonly path: string;
  /** Bytes in the file (all hashed). */
  bytes(): number;
  /** Hex MD5 of the whole file as it is now. */
  md5(): Promise<string>;
  /**
   * Writes the chunks, in order, at the end of the file (one syscall where the OS takes them all).
   * One append at a time: a second call while one is running is refused.
   */
  append(chunks: readonly Buffer[]): Promise<void>;
  /**
   * Resolves once no append is running. A stream pipeline rejects as soon as its source fails,
   * while the sink's last append may still be writing: wait for this before `bytes()` is used
   * to resume, and before the file is handed on.
   */
  idle(): Promise<void>;
  /** Truncates to 0 bytes and starts a new hash (the origin sent the whole resource again). */
  reset(): Promise<void>;
  /** Idempotent. */
  close(): Promise<void>;
  /** Closes and deletes the file. */
  remove(): Promise<void>;
}

const ioError = (path: string, what: string, cause: unknown): FetchError =>
  new FetchError('DownloadFailed.StagingFile', `Could not ${what} the staging file ${path}: ${(cause as Error).message ?? String(cause)}`, { cause });

/**
 * Opens (creating it when missing) the staging file. The first `trustedBytes` bytes are kept
 * (fewer if the file is shorter) and re-hashed; anything after them is cut off: bytes past the
 * last point the caller persisted are not trusted.
 */
export async function openStagingFile(path: string, trustedBytes: number, signal: AbortSignal): Promise<StagingFile> {
  let handle: FileHandle;
  let bytes: number;
  try {
    handle = await open(path, 'a');
  } catch (err) {
    throw ioError(path, 'open', err);
  }
  const hash = runningMd5();
  try {
    const size = (await handle.stat()).size;
    bytes = Math.min(size, Math.max(0, Math.floor(trustedBytes)));
    if (size > bytes) await handle.truncate(bytes);
    if (bytes > 0) {
      let read = 0;
      for await (const chunk of createReadStream(path, { start: 0, end: bytes - 1, signal, highWaterMark: 1024 * 1024 })) {
        await hash.update(chunk as Buffer);
        read += (chunk as Buffer).length;
      }
      if (read !== bytes) throw new Error(`read ${read} of ${bytes} bytes`);
    }
  } catch (err) {
    hash.forget();
    await handle.close().catch(() => {});
    if (signal.aborted) throw new FetchError('Cancelled', 'The download was cancelled', { cause: signal.reason });
    throw ioError(path, 'read back', err);
  }

  const appendNow = async (chunks: readonly Buffer[]): Promise<void> => {
    let total = 0;
    for (const c of chunks) total += c.length;
    try {
      // pwritev of the chunks as they are: no copy into one buffer first.
      for (let written = 0; written < total; ) {
        const { bytesWritten } = await handle.writev(written === 0 ? (chunks as Buffer[]) : unwritten(chunks, written));
        written += bytesWritten;
      }
    } catch (err) {
      // A partly written chunk would leave bytes the hash does not cover: cut them off.
      await handle.truncate(bytes).catch(() => {});
      throw ioError(path, 'write', err);
    }
    bytes += total;
    try {
      for (const c of chunks) await hash.update(c);
    } catch (err) {
      throw ioError(path, 'hash', err);
    }
  };

  let closed = false;
  let running: Promise<void> | undefined;
  const file: StagingFile = {
    path,
    bytes: () => bytes,
    md5: () => hash.digest().catch((err: unknown) => {
      throw ioError(path, 'hash', err);
    }),
    append(chunks) {
      if (running) return Promise.reject(new Error(`append to ${path} while another append is running`));
      const done = appendNow(chunks).finally(() => {
        running = undefined;
      });
      running = done.catch(() => {});
      return done;
    },
    idle: () => running ?? Promise.resolve(),
    async reset() {
      await file.idle();
      try {
        await handle.truncate(0);
      } catch (err) {
        throw ioError(path, 'truncate', err);
      }
      hash.reset();
      bytes = 0;
    },
    async close() {
      if (closed) return;
      closed = true;
      await file.idle();
      hash.forget();
      await handle.close();
    },
    async remove() {
      await file.close().catch(() => {});
      await rm(path, { force: true });
    },
  };
  return file;
}

/** What is left of `chunks` after their first `skip` bytes (after a short write). */
export function unwritten(chunks: readonly Buffer[], skip: number): Buffer[] {
  const rest: Buffer[] = [];
  for (const c of chunks) {
    if (skip >= c.length) skip -= c.length;
    else {
      rest.push(skip === 0 ? c : c.subarray(skip));
      skip = 0;
    }
  }
  return rest;
}
