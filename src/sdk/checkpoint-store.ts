// File upload checkpoints on disk: one JSON file per (endpoint, source path, size, mtime),
// holding the VideoId, the upload address and the multipart state (uploadId, part
// size, finished parts with their ETags). Written atomically (temp file + rename) and serially,
// so a process killed at any instant leaves the previous or the next version, never a torn one.
// Credentials are never written: a resumed upload asks RefreshUploadVideo for a new one.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { UploadAddress } from './upload-address.js';

export interface MultipartState {
  name: string;
  fileSize: number;
  partSize: number;
  uploadId: string;
  doneParts: Array<{ number: number; etag: string }>;
}

export interface FileCheckpoint {
  version: 1;
  source: { path: string; size: number; mtimeMs: number };
  endpoint: string;
  videoId: string;
  address: UploadAddress;
  multipart?: MultipartState;
}

export interface SourceIdentity { endpoint: string; path: string; size: number; mtimeMs: number }

export const checkpointFileName = (s: SourceIdentity): string =>
  `${createHash('sha256').update(JSON.stringify([s.endpoint, s.path, s.size, s.mtimeMs])).digest('hex').slice(0, 32)}.json`;

function isCheckpoint(v: unknown, s: SourceIdentity): v is FileCheckpoint {
  if (typeof v !== 'object' || v === null) return false;
  const c = v as Partial<FileCheckpoint>;
  return c.version === 1 && typeof c.videoId === 'string' && typeof c.address?.FileName === 'string' && c.endpoint === s.endpoint &&
    c.source?.path === s.path && c.source.size === s.size && c.source.mtimeMs === s.mtimeMs;
}

export class CheckpointStore {
  private chain: Promise<void> = Promise.resolve();
  private readonly file: string;

  constructor(private readonly dir: string, readonly identity: SourceIdentity) {
    this.file = join(dir, checkpointFileName(identity));
  }

  get path(): string {
    return this.file;
  }

  /** The checkpoint for this exact source, or undefined (missing, unreadable or for another version of the file). */
  async load(): Promise<FileCheckpoint | undefined> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch {
      return undefined;
    }
    try {
      const v: unknown = JSON.parse(text);
      return isCheckpoint(v, this.identity) ? v : undefined;
    } catch {
      return undefined;
    }
  }

  /** Queued behind earlier saves; resolves when this version is on disk. */
  save(cp: FileCheckpoint): Promise<void> {
    const text = JSON.stringify(cp);
    const next = this.chain.then(async () => {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      const tmp = `${this.file}.${process.pid}.tmp`;
      await writeFile(tmp, text, { mode: 0o600 });
      await rename(tmp, this.file);
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  async remove(): Promise<void> {
    await this.chain;
    await rm(this.file, { force: true });
  }
}
