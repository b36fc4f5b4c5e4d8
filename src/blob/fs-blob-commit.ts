// The steps of the fs store that touch the visible state of one key. Callers hold the key's
// lock around commitObject/removeObject; statObject needs no lock (see fs-blob-sidecar.ts for
// why a reader always finds a sidecar entry that matches the file it sees).

import type { Stats } from 'node:fs';
import { lstat, mkdir, open, rename, rm, rmdir, unlink } from 'node:fs/promises';
import { dirname, sep } from 'node:path';
import { BlobKeyConflictError } from './blob-errors.js';
import type { BlobInfo } from './blob-store.js';
import { errnoCode, fsyncDir } from './fs-blob-io.js';
import type { FsLayout } from './fs-blob-layout.js';
import { objectPath, sidecarPath } from './fs-blob-layout.js';
import { fallbackEtag, matchVersion, readSidecar, writeSidecar } from './fs-blob-sidecar.js';
import type { SidecarVersion } from './fs-blob-sidecar.js';

/** A fully written, fsynced and closed temp file waiting to become the object. */
export interface TempObject {
  path: string;
  size: number;
  etag: string;
}

const CONFLICT_CODES = new Set(['ENOTDIR', 'EEXIST', 'EISDIR', 'ENOTEMPTY']);

/** Makes `temp` the object at `key`, atomically replacing any previous one. */
export async function commitObject(
  layout: FsLayout,
  key: string,
  temp: TempObject,
  contentType: string | undefined,
  sidecarTmpPath: string,
): Promise<BlobInfo> {
  const target = objectPath(layout, key);
  await ensureParentDir(target, key);
  const current = await lstatOrNull(target);
  if (current?.isDirectory() === true) throw new BlobKeyConflictError(key);
  const sidecar = sidecarPath(layout, key);
  const previous = current?.isFile() === true ? matchVersion(await readSidecar(sidecar), current) : undefined;

  // Strictly after the file being replaced, so the two sidecar entries can't be confused.
  const mtimeMs = Math.max(Date.now(), current === null ? 0 : Math.round(current.mtimeMs) + 1);
  await setMtime(temp.path, mtimeMs);

  const version: SidecarVersion = { size: temp.size, mtimeMs, etag: temp.etag, contentType };
  await writeSidecar(sidecar, sidecarTmpPath, key, previous === undefined ? [version] : [version, previous]);
  await renameIntoPlace(temp.path, target, key);
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
  if (file === null) return null;
  return { key, size: file.size, etag: fallbackEtag(file), lastModified: file.mtime, contentType: undefined };
}

function toInfo(key: string, version: SidecarVersion): BlobInfo {
  return { key, size: version.size, etag: version.etag, lastModified: new Date(version.mtimeMs), contentType: version.contentType };
}

/** Sets a file's mtime (and atime) durably. */
async function setMtime(path: string, mtimeMs: number): Promise<void> {
  const handle = await open(path, 'r');
  try {
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

async function renameIntoPlace(from: string, to: string, key: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await rename(from, to);
      return;
    } catch (error) {
      const code = errnoCode(error);
      // A concurrent delete of a sibling key may have pruned the (then empty) parent directory.
      if (code === 'ENOENT' && attempt < 5) {
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

function sameFile(a: Stats, b: Stats): boolean {
  return a.ino === b.ino && a.dev === b.dev && a.size === b.size && a.mtimeMs === b.mtimeMs;
}
