// ffprobe and ffmpeg read local files. An object in the filesystem blob store is read in place
// (read-only); any other store's object is first streamed to a staging file, removed afterwards.
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { BlobStore } from '../blob/blob-store.js';

interface PathOf {
  pathOf(key: string): string;
}

const hasPathOf = (blobs: BlobStore): blobs is BlobStore & PathOf =>
  blobs.kind === 'fs' && typeof (blobs as Partial<PathOf>).pathOf === 'function';

interface Presigns {
  presignGet(key: string, expiresInS: number): Promise<string>;
}

const canPresign = (blobs: BlobStore): blobs is BlobStore & Presigns => typeof (blobs as Partial<Presigns>).presignGet === 'function';

/**
 * Like withLocalFile, but never copies an object that ffprobe/ffmpeg can read where it is: a
 * file of an fs store in place, an S3 object through a presigned URL (ffmpeg reads it with
 * ranged requests — a registered media's bytes are never copied). Other stores fall back to a
 * staging copy.
 */
export async function withReadableSource<T>(blobs: BlobStore, key: string, stagingDir: string, signal: AbortSignal, use: (input: string) => Promise<T>): Promise<T> {
  if (!hasPathOf(blobs) && canPresign(blobs)) return use(await blobs.presignGet(key, 6 * 3600));
  return withLocalFile(blobs, key, stagingDir, signal, use);
}

export async function withLocalFile<T>(blobs: BlobStore, key: string, stagingDir: string, signal: AbortSignal, use: (path: string) => Promise<T>): Promise<T> {
  if (hasPathOf(blobs)) return use(blobs.pathOf(key));
  await mkdir(stagingDir, { recursive: true });
  const path = join(stagingDir, `blob-${randomBytes(8).toString('hex')}${/\.[A-Za-z0-9]{1,10}$/.exec(key)?.[0] ?? ''}`);
  try {
    await pipeline(await blobs.get(key, { signal }), createWriteStream(path), { signal });
    return await use(path);
  } finally {
    await rm(path, { force: true });
  }
}
