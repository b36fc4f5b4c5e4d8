// The steps of the fs store that touch the visible state of one key. Callers hold the key's
// lock around commitObject/removeObject; statObject needs no lock (see fs-blob-sidecar.ts for
// why a reader always finds a sidecar entry that matches the file it sees).
//
// The file committed is usually a put's temp file in `.tmp/`, but may be the caller's own file
// (putFile with `move`): the steps are the same, the file just comes from elsewhere — unless it
// already is the object, when there is nothing to commit (see dropExtraName).

import type { Stats } from 'node:fs';
import { constants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { lstat, mkdir, open, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { basename, dirname, sep } from 'node:path';
import { BlobKeyConflictError, BlobSourceError } from './blob-errors.js';
import type { BlobInfo } from './blob-store.js';
import { errnoCode, fsyncDir } from './fs-blob-io.js';
import type { FsLayout } from './fs-blob-layout.js';
import { objectPath, sidecarPath } from './fs-blob-layout.js';
import { fallbackEtag, matchVersion, readSidecar, writeSidecar } from './fs-blob-sidecar.js';
import type { SidecarVersion } from './fs-blob-sidecar.js';

/** A fully written and closed file waiting to become the object (commitObject fsyncs it). */
export interface TempObject {
  path: string;
  size: number;
  /**
   * The MD5; undefined (putFile's skipMd5) for the fallback validator of the size and the mtime
   * the commit sets — the etag stat() would give the file even without its sidecar entry.
   */
  etag?: string | undefined;
  /**
   * Set for a file the store doesn't own (putFile's move): the device and inode it must still
   * have (any difference fails with BlobSourceError). If the object already is that file, the
   * commit only removes the name `path` (see dropExtraName).
   */
  identity?: { dev: number; ino: number } | undefined;
}

/** fs.promises.rename, or a stand-in (tests simulate EXDEV with one). */
export type RenameFn = (from: string, to: string) => Promise<void>;

const CONFLICT_CODES = new Set(['ENOTDIR', 'EEXIST', 'EISDIR', 'ENOTEMPTY']);

/** Makes `temp` the object at `key`, atomically replacing any previous one. */
export async function commitObject(
  layout: FsLayout,
  key: string,
  temp: TempObject,
  contentType: string | undefined,
  sidecarTmpPath: string,
  renameFile: RenameFn = rename,
): Promise<BlobInfo> {
  const target = objectPath(layout, key);
  await ensureParentDir(target, key);
  const current = await lstatOrNull(target);
  if (current?.isDirectory() === true) throw new BlobKeyConflictError(key);
  const { identity } = temp;
  if (identity !== undefined && current !== null && current.dev === identity.dev && current.ino === identity.ino) {
    return dropExtraName(layout, key, temp.path, current);
  }
  const sidecar = sidecarPath(layout, key);
  const previous = current?.isFile() === true ? matchVersion(await readSidecar(sidecar), current) : undefined;

  // Strictly after the file being replaced, so the two sidecar entries can't be confused.
  const mtimeMs = Math.max(Date.now(), current === null ? 0 : Math.round(current.mtimeMs) + 1);
  await setMtime(temp, mtimeMs);

  const etag = temp.etag ?? fallbackEtag({ size: temp.size, mtimeMs });
  const version: SidecarVersion = { size: temp.size, mtimeMs, etag, contentType };
  await writeSidecar(sidecar, sidecarTmpPath, key, previous === undefined ? [version] : [version, previous]);
  await renameIntoPlace(temp.path, target, key, renameFile);
  await fsyncDir(dirname(target));
  return toInfo(key, version);
}

/** Removes the object at `key` and its sidecar, then any directories left empty. */
export async function removeObject(layout: FsLayout, key: string): Promise<void> {
  const target = objectPath(layout, key);
  try {
    await unlink(target);
  } catch (error) {
    const code = errnoCode(error);
    // Missing, or the path is a directory of other keys: either way there is no object here.
    if (code !== 'ENOENT' && code !== 'ENOTDIR' && code !== 'EISDIR' && code !== 'EPERM') throw error;
  }
  await rm(sidecarPath(layout, key), { force: true });
  await pruneEmptyDirs(dirname(target), layout.objectsDir);
}

export async function statObject(layout: FsLayout, key: string): Promise<BlobInfo | null> {
  const target = objectPath(layout, key);
  const sidecar = sidecarPath(layout, key);
  let file = await lstatFile(target);
  for (let attempt = 0; file !== null && attempt < 3; attempt++) {
    const version = matchVersion(await readSidecar(sidecar), file);
    if (version !== undefined) return toInfo(key, version);
    // No match: either a commit replaced the file between our two reads, or the file is foreign.
    const again = await lstatFile(target);
    if (again === null || sameFile(file, again)) {
      file = again;
      break;
    }
    file = again;
  }
  return file === null ? null : unlistedInfo(key, file);
}

/**
 * A move of a file that already is the object at `key` — another hard link to it, as a commit
 * retried after a crash that followed its rename passes. Nothing is left to store: the object
 * keeps its inode and sidecar, and only the name `path` goes, as a moved file's does. Resolves
 * with the object's info as stat() gives it. The object's own path is refused: removing that
 * name would remove the object.
 */
async function dropExtraName(layout: FsLayout, key: string, path: string, object: Stats): Promise<BlobInfo> {
  if (await isSameEntry(path, objectPath(layout, key))) {
    throw new BlobSourceError(path, `it is the path of the stored object ${JSON.stringify(key)} itself`);
  }
  const version = matchVersion(await readSidecar(sidecarPath(layout, key)), object);
  const now = await lstatOrNull(path);
  if (now === null || now.dev !== object.dev || now.ino !== object.ino) throw new BlobSourceError(path, 'changed while being stored');
  await unlink(path);
  return version === undefined ? unlistedInfo(key, object) : toInfo(key, version);
}

function toInfo(key: string, version: SidecarVersion): BlobInfo {
  return { key, size: version.size, etag: version.etag, lastModified: new Date(version.mtimeMs), contentType: version.contentType };
}

/** The info of an object file no sidecar entry describes. */
function unlistedInfo(key: string, file: Stats): BlobInfo {
  return { key, size: file.size, etag: fallbackEtag(file), lastModified: file.mtime, contentType: undefined };
}

/**
 * Sets the file's mtime (and atime) and fsyncs it — data included, which a moved file that
 * nobody synced needs before it becomes the object. Checks first that it is still the file
 * described, so (size, mtime) can't end up naming other bytes in the sidecar.
 */
async function setMtime(temp: TempObject, mtimeMs: number): Promise<void> {
  const { identity } = temp;
  let handle: FileHandle;
  try {
    handle = await open(temp.path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    if (identity === undefined) throw error;
    throw new BlobSourceError(temp.path, `cannot open it (${errnoCode(error) ?? String(error)})`, { cause: error });
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile() || stats.size !== temp.size || (identity !== undefined && (stats.dev !== identity.dev || stats.ino !== identity.ino))) {
      throw new BlobSourceError(temp.path, 'changed while being stored');
    }
    await handle.utimes(new Date(mtimeMs), new Date(mtimeMs));
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function ensureParentDir(target: string, key: string): Promise<void> {
  try {
    await mkdir(dirname(target), { recursive: true });
  } catch (error) {
    if (CONFLICT_CODES.has(errnoCode(error) ?? '')) throw new BlobKeyConflictError(key, { cause: error });
    throw error;
  }
}

async function renameIntoPlace(from: string, to: string, key: string, renameFile: RenameFn): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await renameFile(from, to);
      return;
    } catch (error) {
      const code = errnoCode(error);
      // A concurrent delete of a sibling key may have pruned the (then empty) parent directory
      // (unless it is the file itself that is gone).
      if (code === 'ENOENT' && attempt < 5 && (await lstatOrNull(from)) !== null) {
        await ensureParentDir(to, key);
        continue;
      }
      if (CONFLICT_CODES.has(code ?? '')) throw new BlobKeyConflictError(key, { cause: error });
      throw error;
    }
  }
}

async function pruneEmptyDirs(dir: string, stopAt: string): Promise<void> {
  for (let current = dir; current.startsWith(stopAt + sep); current = dirname(current)) {
    try {
      await rmdir(current);
    } catch {
      return; // not empty (or already gone): stop climbing
    }
  }
}

async function lstatOrNull(path: string): Promise<Stats | null> {
  try {
    return await lstat(path);
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw error;
  }
}

/** Stats of a regular file at `path`; null when missing or not a regular file (dir, symlink). */
async function lstatFile(path: string): Promise<Stats | null> {
  const stats = await lstatOrNull(path);
  return stats?.isFile() === true ? stats : null;
}

/** Whether two paths name one directory entry (not merely one inode: hard links are two entries). */
async function isSameEntry(a: string, b: string): Promise<boolean> {
  if (basename(a) !== basename(b)) return false;
  const [dirA, dirB] = await Promise.all([stat(dirname(a)), stat(dirname(b))]);
  return dirA.dev === dirB.dev && dirA.ino === dirB.ino;
}

function sameFile(a: Stats, b: Stats): boolean {
  return a.ino === b.ino && a.dev === b.dev && a.size === b.size && a.mtimeMs === b.mtimeMs;
}
