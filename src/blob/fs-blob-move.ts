// putFile's fast path on the fs store: the caller's file is renamed into place — not one byte is
// copied, which is what lets URL ingest store a 2 GB download at disk speed. It is a commit like
// any other (fs-blob-commit.ts): under the key's lock, the file gets an mtime strictly after the
// version it replaces and is fsynced, the sidecar is written first, then the rename, then the
// directories are fsynced. rename() can't cross filesystems (EXDEV): the store then copies the
// file through the ordinary put path instead, so this step reports that rather than failing.
//
// A file that already is the object (another hard link to it) is not committed again: the move
// just removes the name it was given, leaving the object as it is — so a commit retried after a
// crash that followed the rename succeeds without anyone comparing MD5s.
//
// A move that fails leaves the file where it was, with its times restored.

import { lstat, lutimes, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { BlobAbortedError, BlobSourceError } from './blob-errors.js';
import { isSameFile } from './blob-source-file.js';
import type { SourceFile } from './blob-source-file.js';
import type { BlobInfo } from './blob-store.js';
import { commitObject } from './fs-blob-commit.js';
import type { RenameFn } from './fs-blob-commit.js';
import { errnoCode, fsyncDir } from './fs-blob-io.js';
import type { FsLayout } from './fs-blob-layout.js';
import { newTempPath } from './fs-blob-layout.js';
import type { KeyLock } from './key-lock.js';

/** What moveIntoPlace returns when the file is on another filesystem than the store. */
export const CROSS_DEVICE = Symbol('cross-device');

export interface MoveContext {
  readonly layout: FsLayout;
  readonly lock: KeyLock;
  /** The store's temp files in flight (spared by sweepTemp). */
  readonly temps: Set<string>;
  readonly rename: RenameFn;
}

export interface MoveRequest {
  key: string;
  source: SourceFile;
  /**
   * The object's etag: the caller's MD5 or one computed from the file beforehand; undefined
   * (skipMd5) for the store's fallback validator, so that nobody reads the file.
   */
  etag: string | undefined;
  contentType: string | undefined;
  signal: AbortSignal;
}

/** Renames `source` into place as `key`; CROSS_DEVICE (having changed nothing) if it can't be. */
export async function moveIntoPlace(ctx: MoveContext, req: MoveRequest): Promise<BlobInfo | typeof CROSS_DEVICE> {
  const { source } = req;
  // The common cross-device case, found without touching anything. (Two mounts of one
  // filesystem share st_dev yet still refuse rename(): the EXDEV check below catches those.)
  const objectsDir = await stat(ctx.layout.objectsDir).catch(() => null);
  if (objectsDir !== null && objectsDir.dev !== source.dev) return CROSS_DEVICE;
  const sidecarTmpPath = newTempPath(ctx.layout, '.meta');
  ctx.temps.add(sidecarTmpPath);
  let info: BlobInfo;
  try {
    const moved = await ctx.lock.run(req.key, async () => {
      if (req.signal.aborted) throw new BlobAbortedError({ cause: req.signal.reason });
      const file = { path: source.path, size: source.size, etag: req.etag, identity: { dev: source.dev, ino: source.ino } };
      try {
        return await commitObject(ctx.layout, req.key, file, req.contentType, sidecarTmpPath, ctx.rename);
      } catch (error) {
        await restoreTimes(source);
        if (errnoCode(error) === 'EXDEV') return CROSS_DEVICE;
        throw error;
      }
    });
    if (moved === CROSS_DEVICE) return moved;
    info = moved;
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' && (await lstat(source.path).catch(() => null)) === null) {
      throw new BlobSourceError(source.path, 'disappeared while being stored', { cause: error });
    }
    throw error;
  } finally {
    ctx.temps.delete(sidecarTmpPath);
  }
  // The object is in place and its directory synced; making the source's removal durable too
  // is best effort (a crash would at worst bring back a second name for the same bytes).
  await fsyncDir(dirname(source.path)).catch(() => undefined);
  return info;
}

/** Puts back the times commitObject set, if the file is still there (best effort). */
async function restoreTimes(source: SourceFile): Promise<void> {
  try {
    const now = await lstat(source.path);
    if (!isSameFile(source, now) || now.mtimeMs === source.mtimeMs) return;
    await lutimes(source.path, source.atimeMs / 1000, source.mtimeMs / 1000);
  } catch {
    // Gone or inaccessible: nothing to restore.
  }
}
