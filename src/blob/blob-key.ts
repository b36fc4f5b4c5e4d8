// The one definition of a valid blob key, shared by every adapter, so that a key accepted by
// the filesystem store is accepted by the S3 store and the other way round (migrations move
// objects between them).
//
// Keys are `/`-separated paths such as `<videoId>/source.mp4`. The rules are the intersection
// of what S3 object keys allow (≤ 1024 bytes of UTF-8) and what a POSIX filesystem can mirror
// safely (no `.`/`..`/empty segments, no NUL, segments ≤ 255 bytes = NAME_MAX), plus what
// keeps keys unambiguous (no backslash, no control characters, well-formed Unicode so that the
// UTF-8 bytes round-trip).

import { InvalidBlobKeyError } from './blob-errors.js';

export const MAX_KEY_BYTES = 1024;
export const MAX_SEGMENT_BYTES = 255;

// C0 controls (NUL included) and DEL.
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/u;
// In a `u` regex a well-formed surrogate pair is one code point, so this only matches lone halves.
const LONE_SURROGATE = /\p{Cs}/u;

/** Throws InvalidBlobKeyError unless `key` is a valid blob key. */
export function assertValidKey(key: string): void {
  const reason = keyProblem(key);
  if (reason !== undefined) throw new InvalidBlobKeyError(String(key), reason);
}

/** Whether `key` is a valid blob key (for filtering names found in storage). */
export function isValidKey(key: string): boolean {
  return keyProblem(key) === undefined;
}

/**
 * Throws InvalidBlobKeyError unless `prefix` is a valid listing prefix: a valid key, or a valid
 * key followed by `/`. Prefixes match like S3's (`v1` matches `v1/a` and `v10/a`; `v1/` only
 * the former). The empty prefix (everything) is refused unless `allowEmpty`.
 */
export function assertValidPrefix(prefix: string, opts: { allowEmpty?: boolean } = {}): void {
  if (prefix === '' && opts.allowEmpty === true) return;
  const asKey = typeof prefix === 'string' && prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  const reason = keyProblem(asKey);
  if (reason !== undefined) throw new InvalidBlobKeyError(String(prefix), `invalid prefix: ${reason}`);
}

function keyProblem(key: unknown): string | undefined {
  if (typeof key !== 'string') return 'not a string';
  if (key === '') return 'empty';
  if (LONE_SURROGATE.test(key)) return 'not well-formed Unicode';
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) return `longer than ${MAX_KEY_BYTES} bytes`;
  if (key.startsWith('/')) return 'starts with "/"';
  if (key.includes('\\')) return 'contains a backslash';
  if (CONTROL_CHARS.test(key)) return 'contains a control character';
  for (const segment of key.split('/')) {
    if (segment === '') return 'contains an empty path segment';
    if (segment === '.' || segment === '..') return `contains a "${segment}" segment`;
    if (Buffer.byteLength(segment, 'utf8') > MAX_SEGMENT_BYTES) return `a segment is longer than ${MAX_SEGMENT_BYTES} bytes`;
  }
  return undefined;
}
