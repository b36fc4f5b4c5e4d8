// The local file handed to putFile(), checked the same way by every adapter. It must be a
// regular file: lstat() refuses a symlink instead of following it, and the file is then opened
// with O_NOFOLLOW and compared (device + inode) with what lstat() saw, so a path swapped in
// between is noticed rather than stored.

import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { constants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { lstat, open } from 'node:fs/promises';
import { addAbortSignal } from 'node:stream';
import { BlobAbortedError, BlobSourceError } from './blob-errors.js';
import { errnoCode } from './fs-blob-io.js';

/** A regular file as lstat() saw it when putFile() started. */
export interface SourceFile {
  readonly path: string;
  readonly size: number;
  readonly dev: number;
  readonly ino: number;
  readonly atimeMs: number;
  readonly mtimeMs: number;
}

/** Bytes per read of the source file. */
export const SOURCE_READ_CHUNK_BYTES = 1024 * 1024;

const MD5_HEX = /^[0-9a-f]{32}$/iu;

/** The caller's MD5 in lowercase; RangeError unless it is 32 hex digits. */
export function normalizeMd5Hex(md5Hex: string | undefined): string | undefined {
  if (md5Hex === undefined) return undefined;
  if (typeof md5Hex !== 'string' || !MD5_HEX.test(md5Hex)) throw new RangeError(`md5Hex must be 32 hex digits, got ${JSON.stringify(md5Hex)}`);
  return md5Hex.toLowerCase();
}

/** lstat()s `path`; BlobSourceError unless it is an existing regular file. */
export async function inspectSourceFile(path: string): Promise<SourceFile> {
  if (typeof path !== 'string' || path === '') throw new BlobSourceError(String(path), 'not a file path');
  let stats: Stats;
  try {
    stats = await lstat(path);
  } catch (error) {
    const code = errnoCode(error);
    const reason = code === 'ENOENT' || code === 'ENOTDIR' ? 'no such file' : `cannot inspect it (${describe(error)})`;
    throw new BlobSourceError(path, reason, { cause: error });
  }
  if (!stats.isFile()) throw new BlobSourceError(path, `not a regular file (${fileType(stats)})`);
  return { path, size: stats.size, dev: stats.dev, ino: stats.ino, atimeMs: stats.atimeMs, mtimeMs: stats.mtimeMs };
}

/** Opens the file `source` describes for reading; BlobSourceError if the path now holds another. */
export async function openSourceFile(source: SourceFile): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    handle = await open(source.path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    throw new BlobSourceError(source.path, `cannot open it (${describe(error)})`, { cause: error });
  }
  try {
    const stats = await handle.stat();
    if (!isSameFile(source, stats)) throw new BlobSourceError(source.path, 'was replaced while being stored');
    return handle;
  } catch (error) {
    await handle.close().catch(() => undefined);
    if (error instanceof BlobSourceError) throw error;
    throw new BlobSourceError(source.path, `cannot inspect it (${describe(error)})`, { cause: error });
  }
}

/** Lowercase hex MD5 of the whole file; BlobSourceError if its size changed meanwhile. */
export async function md5OfFile(source: SourceFile, signal?: AbortSignal): Promise<string> {
  if (signal?.aborted === true) throw new BlobAbortedError({ cause: signal.reason });
  const handle = await openSourceFile(source);
  const stream = handle.createReadStream({ highWaterMark: SOURCE_READ_CHUNK_BYTES, autoClose: true });
  if (signal !== undefined) addAbortSignal(signal, stream);
  const hash = createHash('md5');
  let size = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      hash.update(chunk);
      size += chunk.byteLength;
    }
  } catch (error) {
    if (isAborted(signal)) throw new BlobAbortedError({ cause: signal?.reason });
    throw new BlobSourceError(source.path, `reading it failed (${describe(error)})`, { cause: error });
  } finally {
    stream.destroy();
  }
  if (size !== source.size) throw new BlobSourceError(source.path, `changed while being stored (${source.size} bytes, then ${size})`);
  return hash.digest('hex');
}

/** Whether `stats` describe the very file `source` was (same device and inode, still regular). */
export function isSameFile(source: SourceFile, stats: Stats): boolean {
  return stats.isFile() && stats.dev === source.dev && stats.ino === source.ino;
}

// A function, so that TypeScript doesn't keep the narrowing from the check before the reads.
function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

function fileType(stats: Stats): string {
  if (stats.isSymbolicLink()) return 'a symbolic link';
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  return 'a device';
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
