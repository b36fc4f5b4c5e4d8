// The sidecar next to each object holds what the file itself can't: the MD5 etag (so stat
// never hashes) and the content type.
//
// Object and sidecar can't be renamed into place in one step, so the sidecar is written FIRST
// and lists the new version *and* the version it replaces. Each version is identified by
// (size, mtime), and the store sets every new file's mtime strictly after the one it replaces.
// So whatever a reader observes — before the object's rename, after it, or after a crash in
// between — the object file on disk matches one entry. A file no entry matches (put there by
// hand, or restored without its mtime) gets a fallback validator instead of a stale etag.

import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { errnoCode, fsyncDir } from './fs-blob-io.js';

export interface SidecarVersion {
  size: number;
  /** Integer milliseconds, as set by the store with utimes(). */
  mtimeMs: number;
  etag: string;
  contentType: string | undefined;
}

interface SidecarDoc {
  v: 1;
  key: string;
  versions: SidecarVersion[];
}

/** The versions a sidecar lists; none if it is missing or unreadable as a sidecar. */
export async function readSidecar(path: string): Promise<SidecarVersion[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return [];
    throw error;
  }
  try {
    return parseVersions(JSON.parse(text));
  } catch {
    return []; // A corrupt sidecar only costs the etag: the object falls back to a validator.
  }
}

export function matchVersion(versions: readonly SidecarVersion[], file: { size: number; mtimeMs: number }): SidecarVersion | undefined {
  const mtimeMs = Math.round(file.mtimeMs);
  return versions.find((v) => v.size === file.size && v.mtimeMs === mtimeMs);
}

/** Validator for a file no sidecar entry describes. Contains `-`, so it is never taken for an MD5. */
export function fallbackEtag(file: { size: number; mtimeMs: number }): string {
  return `${file.size.toString(16)}-${Math.round(file.mtimeMs).toString(16)}`;
}

/** Atomically replaces the sidecar at `path` (via `tmpPath` on the same filesystem), durably. */
export async function writeSidecar(path: string, tmpPath: string, key: string, versions: SidecarVersion[]): Promise<void> {
  const doc: SidecarDoc = { v: 1, key, versions };
  let renamed = false;
  try {
    await mkdir(dirname(path), { recursive: true });
    const handle = await open(tmpPath, 'wx');
    try {
      await handle.writeFile(JSON.stringify(doc), 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmpPath, path);
    renamed = true;
    await fsyncDir(dirname(path));
  } finally {
    if (!renamed) await rm(tmpPath, { force: true });
  }
}

function parseVersions(value: unknown): SidecarVersion[] {
  if (typeof value !== 'object' || value === null || !('versions' in value) || !Array.isArray(value.versions)) return [];
  const versions: SidecarVersion[] = [];
  for (const item of value.versions as unknown[]) {
    if (typeof item !== 'object' || item === null) continue;
    const { size, mtimeMs, etag, contentType } = item as Record<string, unknown>;
    if (typeof size !== 'number' || typeof mtimeMs !== 'number' || typeof etag !== 'string') continue;
    versions.push({ size, mtimeMs, etag, contentType: typeof contentType === 'string' ? contentType : undefined });
  }
  return versions;
}
