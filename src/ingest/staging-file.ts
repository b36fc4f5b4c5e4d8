// The local staging file of one download, and the MD5 of exactly the bytes it holds. The file
// descriptor and the hash live on a staging writer thread (staging-worker.ts), fed through a ring
// of shared slots (staging-ring.ts): each slot is written, then hashed, so the hash and the file
// never disagree, whatever fails in between. A resumed file is re-hashed first (on that thread),
// after cutting it back to the bytes the caller vouches for.
import { rm } from 'node:fs/promises';
import { FetchError } from './fetch-errors.js';
import { sharedStagingPool, type StagingChannel, type StagingPool, StagingWriterError } from './staging-pool.js';
import { createHandoverRing } from './staging-ring.js';

export interface StagingFile {
  readonly path: string;
  /** Bytes written to the file (all hashed); appended bytes count once written (`onWritten`). */
  bytes(): number;
  /** Hex MD5 of the whole file once every appended byte is written. */
  md5(): Promise<string>;
  /**
   * Appends the chunks, in order. They are copied (the caller keeps them); resolves once they are
   * handed over, which waits only when the writer is that far behind. A write that failed
   * rejects this or the next call; the file then ends after the last slot written whole.
   */
  append(chunks: readonly Uint8Array[]): Promise<void>;
  /** `append` without waiting: true when the chunk was taken, false when it must go through `append`. */
  tryAppend(chunk: Uint8Array): boolean;
  /** Resolves once every appended byte is written and hashed (rejects when one could not be). */
  flush(): Promise<void>;
  /** Truncates to 0 bytes and starts a new hash (the origin sent the whole resource again). */
  reset(): Promise<void>;
  /** Idempotent. */
  close(): Promise<void>;
  /** Closes and deletes the file. */
  remove(): Promise<void>;
}

export interface StagingFileOptions {
  /**
   * Start writeback every this many bytes (an fdatasync in the background), so that whoever makes
   * the file durable later (the blob store's fsync) has little left to flush, and dirty pages do
   * not pile up. 0 turns it off. Default 16 MiB.
   */
  syncEveryBytes?: number | undefined;
  /** Default: the process's shared pool. */
  pool?: StagingPool | undefined;
  /** Called with `bytes()` each time more of the appended bytes are written; errors thrown are ignored. */
  onWritten?(bytes: number): void;
}

export const DEFAULT_SYNC_EVERY_BYTES = 16 * 1024 * 1024;

const ioError = (path: string, what: string, cause: unknown): FetchError =>
  new FetchError('DownloadFailed.StagingFile', `Could not ${what} the staging file ${path}: ${(cause as Error).message ?? String(cause)}`, { cause });

const cancelled = (signal: AbortSignal): FetchError => new FetchError('Cancelled', 'The download was cancelled', { cause: signal.reason });

/** The hand-over ring per file: enough in flight that neither thread waits for the other. */
const RING_SLOTS = 4;
const SLOT_BYTES = 512 * 1024;

/**
 * Opens (creating it when missing) the staging file. The first `trustedBytes` bytes are kept
 * (fewer if the file is shorter) and re-hashed; anything after them is cut off: bytes past the
 * last point the caller persisted are not trusted.
 */
export async function openStagingFile(path: string, trustedBytes: number, signal: AbortSignal, options: StagingFileOptions = {}): Promise<StagingFile> {
  if (signal.aborted) throw cancelled(signal);
  const channel: StagingChannel = (options.pool ?? sharedStagingPool()).channel();
  let bytes = 0;
  const ring = createHandoverRing({
    slots: RING_SLOTS,
    slotBytes: SLOT_BYTES,
    send: async (offset, length) => {
      bytes = (await channel.request({ op: 'append', offset, length })).bytes;
      try {
        options.onWritten?.(bytes);
      } catch {
        // The caller's bookkeeping must not fail the write.
      }
    },
  });
  const flush = async (): Promise<void> => {
    try {
      await ring.flush();
    } catch (err) {
      throw ioError(path, 'write', err);
    }
  };
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= ring.flush().catch(() => {}).then(() => channel.request({ op: 'close' })).then(
      () => channel.release(),
      (err: unknown) => {
        channel.release();
        throw ioError(path, 'close', err);
      },
    );
    return closing;
  };
  // A long re-hash stops when the download is cancelled: closing abandons the open.
  const onAbort = (): void => void close().catch(() => {});
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const opened = await channel.request({
      op: 'open', path, trustedBytes: Math.max(0, Math.floor(trustedBytes)),
      syncEveryBytes: options.syncEveryBytes ?? DEFAULT_SYNC_EVERY_BYTES, buffer: ring.buffer,
    });
    bytes = opened.bytes;
    if (signal.aborted) throw cancelled(signal);
  } catch (err) {
    await close().catch(() => {});
    if (signal.aborted || (err instanceof StagingWriterError && err.cancelled)) throw cancelled(signal);
    if (err instanceof FetchError) throw err;
    throw ioError(path, 'open or read back', err);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }

  const file: StagingFile = {
    path,
    bytes: () => bytes,
    async md5() {
      await flush();
      try {
        const r = await channel.request({ op: 'digest' });
        return r.md5 as string;
      } catch (err) {
        throw ioError(path, 'hash', err);
      }
    },
    async append(chunks) {
      try {
        await ring.put(chunks);
      } catch (err) {
        throw ioError(path, 'write', err);
      }
    },
    tryAppend: (chunk) => ring.tryPut(chunk),
    flush,
    async reset() {
      await flush();
      try {
        bytes = (await channel.request({ op: 'reset' })).bytes;
      } catch (err) {
        throw ioError(path, 'truncate', err);
      }
    },
    close,
    async remove() {
      await close().catch(() => {});
      await rm(path, { force: true });
    },
  };
  return file;
}
