// The local staging file of one download, and the MD5 of exactly the bytes it holds. Bytes are
// gathered into 1 MiB blocks and written past the page cache where the filesystem allows it
// (block-writer.ts); the hash takes a block only once it is in the file, so the hash and the file
// can never disagree, whatever fails in between. The blocks are lent by the hash from its ring
// (md5-workers.ts `lend`), so it takes each one where it was written, without a copy. A worker killed with SIGKILL loses the block it
// held (at most 1 MiB, fetched again with Range). A resumed file is re-hashed first, after
// cutting it back to the bytes the caller vouches for. The hash runs on a worker thread
// (md5-workers.ts), beside the main thread, which receives and writes.
import { constants, createReadStream } from 'node:fs';
import { type FileHandle, open, rm } from 'node:fs/promises';
import { BlockWriter, DIRECT_ALIGN, openDirect } from '../blob/block-writer.js';
import { FetchError } from './fetch-errors.js';
import { runningMd5 } from './md5-workers.js';

export interface StagingFile {
  readonly path: string;
  /**
   * Bytes taken: those in the file (all hashed) and up to a block not written yet (block-writer.ts),
   * which `md5()` and `close()` write out.
   */
  bytes(): number;
  /** Hex MD5 of every byte taken, once they are all in the file. */
  md5(): Promise<string>;
  /**
   * Adds the chunks, in order, at the end of the file, written 1 MiB at a time as they fill a
   * block. One append at a time: a second call while one is running is refused.
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
  let direct: FileHandle | undefined;
  try {
    handle = await open(path, constants.O_RDWR | constants.O_CREAT, 0o644);
  } catch (err) {
    throw ioError(path, 'open', err);
  }
  const hash = runningMd5({ lanes: true });
  // The hash takes each range once it is in the file, so the two never disagree, whatever fails.
  // A file that ends inside a 4 KiB block goes on with that block's first bytes read back, so
  // that its writes stay direct and no byte is fetched twice.
  const writerAt = async (offset: number): Promise<BlockWriter> => {
    const misaligned = offset % DIRECT_ALIGN;
    let head: Buffer | undefined;
    if (direct !== undefined && misaligned !== 0) {
      head = Buffer.alloc(misaligned);
      const { bytesRead } = await handle.read(head, 0, misaligned, offset - misaligned);
      if (bytesRead !== misaligned) throw new Error(`read ${bytesRead} of the ${misaligned} bytes before ${offset}`);
    }
    return new BlockWriter({ buffered: handle, direct }, offset, (written) => hash.update(written), head, hash);
  };
  let writer: BlockWriter;
  try {
    direct = await openDirect(path);
    const size = (await handle.stat()).size;
    const bytes = Math.min(size, Math.max(0, Math.floor(trustedBytes)));
    if (size > bytes) await handle.truncate(bytes);
    if (bytes > 0) {
      let read = 0;
      for await (const chunk of createReadStream(path, { start: 0, end: bytes - 1, signal, highWaterMark: 1024 * 1024 })) {
        await hash.update(chunk as Buffer);
        read += (chunk as Buffer).length;
      }
      if (read !== bytes) throw new Error(`read ${read} of ${bytes} bytes`);
    }
    writer = await writerAt(bytes);
  } catch (err) {
    hash.forget();
    await direct?.close().catch(() => {});
    await handle.close().catch(() => {});
    if (signal.aborted) throw new FetchError('Cancelled', 'The download was cancelled', { cause: signal.reason });
    throw ioError(path, 'read back', err);
  }
  /** After a failure: the file and the hash hold the bytes written so far; what was held is dropped. */
  const cutBack = async (err: unknown, what: string): Promise<never> => {
    const written = writer.written;
    writer.release();
    await handle.truncate(written).catch(() => {});
    // Without the block's head (the file could not be read), the writes go on buffered.
    writer = await writerAt(written).catch(() => new BlockWriter({ buffered: handle }, written, (b) => hash.update(b), undefined, hash));
    throw ioError(path, what, err);
  };
  const appendNow = async (chunks: readonly Buffer[]): Promise<void> => {
    try {
      await writer.write(chunks);
    } catch (err) {
      await cutBack(err, 'write');
    }
  };
  const flushNow = async (): Promise<void> => {
    try {
      await writer.flush();
    } catch (err) {
      await cutBack(err, 'write');
    }
  };

  let closed = false;
  let running: Promise<void> | undefined;
  /** One append or flush at a time. */
  const serial = (work: () => Promise<void>, what: string): Promise<void> => {
    if (running) return Promise.reject(new Error(`${what} ${path} while another append is running`));
    const done = work().finally(() => {
      running = undefined;
    });
    running = done.catch(() => {});
    return done;
  };
  const file: StagingFile = {
    path,
    bytes: () => writer.position,
    async md5() {
      await file.idle();
      await serial(flushNow, 'flush');
      return hash.digest().catch((err: unknown) => {
        throw ioError(path, 'hash', err);
      });
    },
    append: (chunks) => serial(() => appendNow(chunks), 'append to'),
    idle: () => running ?? Promise.resolve(),
    async reset() {
      await file.idle();
      writer.release();
      writer = await writerAt(0);
      try {
        await handle.truncate(0);
      } catch (err) {
        throw ioError(path, 'truncate', err);
      }
      hash.reset();
    },
    async close() {
      if (closed) return;
      closed = true;
      await file.idle();
      // What was taken but not written yet goes to the file, so a later run resumes after it.
      await flushNow().catch(() => {});
      writer.release();
      hash.forget();
      await direct?.close().catch(() => {});
      await handle.close();
    },
    async remove() {
      await file.close().catch(() => {});
      await rm(path, { force: true });
    },
  };
  return file;
}
