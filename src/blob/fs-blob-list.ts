// Lists objects under a prefix by walking objects/ in S3's order (ascending UTF-8 bytes of the
// key). Within one directory, sorting a subdirectory `d` as `d/` puts it exactly where its keys
// belong among its siblings (`a-c` < `a/b` because `-` < `/`), so a depth-first walk yields
// keys in global order without collecting them.

import type { Dirent, Stats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isValidKey } from './blob-key.js';
import type { BlobListEntry } from './blob-store.js';
import { errnoCode } from './fs-blob-io.js';

/**
 * Objects under `objectsDir` whose key starts with `prefix` (already validated). A top-level
 * entry named `skipTop` (the plain layout's own directory) is not part of the objects.
 */
export async function* walkObjects(objectsDir: string, prefix: string, skipTop?: string): AsyncGenerator<BlobListEntry> {
  const slash = prefix.lastIndexOf('/');
  const dirKey = prefix.slice(0, slash + 1); // '' or 'a/b/'
  const namePrefix = prefix.slice(slash + 1);
  if (skipTop !== undefined && (dirKey === `${skipTop}/` || dirKey.startsWith(`${skipTop}/`))) return;
  const dir = dirKey === '' ? objectsDir : join(objectsDir, ...dirKey.slice(0, -1).split('/'));
  yield* walkDir(dir, dirKey, namePrefix, dirKey === '' ? skipTop : undefined);
}

async function* walkDir(dir: string, keyPrefix: string, namePrefix: string, skipName?: string): AsyncGenerator<BlobListEntry> {
  let dirents: Dirent[];
  try {
    dirents = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return; // nothing there, or deleted meanwhile
    throw error;
  }
  const entries = [];
  for (const d of dirents) {
    // Symlinks are never objects; names no key could have (put there by hand) are skipped.
    if (!d.name.startsWith(namePrefix) || d.isSymbolicLink() || !isValidKey(d.name) || d.name === skipName) continue;
    const isDir = d.isFile() || d.isDirectory() ? d.isDirectory() : await isDirectory(join(dir, d.name)); // DT_UNKNOWN
    entries.push({ name: d.name, isDir, sortKey: Buffer.from(isDir ? `${d.name}/` : d.name, 'utf8') });
  }
  entries.sort((a, b) => Buffer.compare(a.sortKey, b.sortKey));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDir) {
      yield* walkDir(path, `${keyPrefix}${entry.name}/`, '');
      continue;
    }
    let stats: Stats;
    try {
      stats = await lstat(path);
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') continue; // deleted meanwhile
      throw error;
    }
    if (stats.isFile()) yield { key: `${keyPrefix}${entry.name}`, size: stats.size, lastModified: stats.mtime };
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isDirectory();
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return false;
    throw error;
  }
}
