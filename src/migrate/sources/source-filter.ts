// The item filter shared by the s3: and dir: sources (extension, size, modification time).
// Pure: it sees names, sizes and times, never a file or a bucket.
import { AUDIO_EXTENSIONS, VIDEO_EXTENSIONS } from '../../domain/media-formats.js';

export interface ItemFilter {
  readonly extensions: ReadonlySet<string>;
  readonly minSize?: number | undefined;
  readonly maxSize?: number | undefined;
  /** Epoch ms, inclusive. */
  readonly modifiedAfterMs?: number | undefined;
  /** Epoch ms, exclusive. */
  readonly modifiedBeforeMs?: number | undefined;
}

export const DEFAULT_EXTENSIONS: readonly string[] = [...VIDEO_EXTENSIONS, ...AUDIO_EXTENSIONS];

/** The lower-case extension of a file name (`a/b.MP4` → `mp4`), or undefined. */
export function extensionOf(name: string): string | undefined {
  const base = name.slice(name.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  if (dot <= 0 || dot === base.length - 1) return undefined;
  return base.slice(dot + 1).toLowerCase();
}

export interface FilterCandidate {
  readonly name: string;
  readonly size: number;
  readonly modifiedMs: number;
}

export function passesFilter(filter: ItemFilter, c: FilterCandidate): boolean {
  const ext = extensionOf(c.name);
  if (ext === undefined || !filter.extensions.has(ext)) return false;
  if (filter.minSize !== undefined && c.size < filter.minSize) return false;
  if (filter.maxSize !== undefined && c.size > filter.maxSize) return false;
  if (filter.modifiedAfterMs !== undefined && c.modifiedMs < filter.modifiedAfterMs) return false;
  if (filter.modifiedBeforeMs !== undefined && c.modifiedMs >= filter.modifiedBeforeMs) return false;
  return true;
}
