// How blob keys map to S3 object keys: the store's prefix (e.g. `media/`) in front of every key.
// Keys are checked (blob-key.ts) before any request; the prefix must not push an object key
// past S3's 1024-byte limit. Listing strips the prefix and skips object keys no blob key can
// name (folder markers such as `dir/`, `a//b` …), as the fs store skips such file names.

import { InvalidBlobKeyError } from './blob-errors.js';
import { MAX_KEY_BYTES, assertValidKey, assertValidPrefix, isValidKey } from './blob-key.js';

/** Checks the `prefix` option: '' or a valid listing prefix (`media/`, `tenant-1/media/` …). */
export function normalizeStorePrefix(prefix: string | undefined): string {
  if (prefix === undefined || prefix === '') return '';
  try {
    assertValidPrefix(prefix);
  } catch (error) {
    throw new RangeError(`Invalid S3 prefix ${JSON.stringify(prefix)}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return prefix;
}

/** The S3 object key of blob `key`; InvalidBlobKeyError for an invalid key. */
export function toObjectKey(storePrefix: string, key: string): string {
  assertValidKey(key);
  const objectKey = storePrefix + key;
  if (Buffer.byteLength(objectKey, 'utf8') > MAX_KEY_BYTES) {
    throw new InvalidBlobKeyError(key, `longer than ${MAX_KEY_BYTES} bytes with the store prefix ${JSON.stringify(storePrefix)}`);
  }
  return objectKey;
}

/** The S3 prefix for a listing prefix (`''` allowed only when `allowEmpty`). */
export function toObjectPrefix(storePrefix: string, prefix: string, opts: { allowEmpty?: boolean } = {}): string {
  assertValidPrefix(prefix, opts);
  return storePrefix + prefix;
}

/** The blob key of a listed S3 object key, or undefined when no blob key can name it. */
export function fromObjectKey(storePrefix: string, objectKey: string | undefined): string | undefined {
  if (objectKey === undefined || !objectKey.startsWith(storePrefix)) return undefined;
  const key = objectKey.slice(storePrefix.length);
  return isValidKey(key) ? key : undefined;
}

/** `x-amz-copy-source` for an object: bucket and key, URL-encoded segment by segment. */
export function copySource(bucket: string, objectKey: string): string {
  return [bucket, ...objectKey.split('/')].map((segment) => encodeURIComponent(segment)).join('/');
}
