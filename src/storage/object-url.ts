// Names of objects in a declared storage, as RegisterMedia's FileURL gives them:
//   http(s)://<location>/<key>   the OSS-style form (the location is the storage's declared name)
//   s3://<bucket>/<key>          s3 storages only
// In both, the path is the object's full key in the bucket (or under the fs root); a storage
// with a prefix owns only the keys under it. Anything else — another host, a query string, a
// key with `.`/`..`/empty segments (path traversal), the built-in storage — names nothing.
import { isValidKey } from '../blob/blob-key.js';
import type { Storage, StorageRegistry } from './storage-registry.js';

export type ObjectRef = { readonly storage: Storage; readonly key: string };
export type ObjectUrlResult = { readonly ok: true; readonly ref: ObjectRef } | { readonly ok: false; readonly reason: string };

const fail = (reason: string): ObjectUrlResult => ({ ok: false, reason });

export function resolveObjectUrl(storages: StorageRegistry, fileUrl: string): ObjectUrlResult {
  let url: URL;
  try {
    url = new URL(fileUrl);
  } catch {
    return fail('not a URL');
  }
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') return fail('an object URL has no query, fragment or credentials');
  // WHATWG URL parsing already resolved `.`/`..` segments, so the raw text is checked too.
  const rawPath = /^[a-z0-9]+:\/\/[^/]*(\/[^?#]*)?/i.exec(fileUrl)?.[1] ?? '';
  const fullKey = decodeKey(rawPath);
  if (fullKey === undefined) return fail('the path is not a valid object key');

  let candidates: Storage[];
  if (url.protocol === 's3:') {
    candidates = storages.list().filter((s) => s.type === 's3' && !s.builtIn && s.bucket === url.hostname);
    if (candidates.length === 0) return fail(`no declared s3 storage has the bucket "${url.hostname}"`);
  } else if (url.protocol === 'http:' || url.protocol === 'https:') {
    const s = storages.get(url.host.toLowerCase());
    if (!s || s.builtIn) return fail(`"${url.host}" is not a declared storage location`);
    candidates = [s];
  } else {
    return fail(`unsupported scheme "${url.protocol}"`);
  }
  // The storage with the longest prefix that owns the key (storages may share a bucket).
  const owner = candidates.filter((s) => fullKey.startsWith(s.prefix)).sort((a, b) => b.prefix.length - a.prefix.length)[0];
  if (!owner) return fail('the key is outside the storage\'s prefix');
  const key = fullKey.slice(owner.prefix.length);
  if (!isValidKey(key)) return fail('the path is not a valid object key');
  return { ok: true, ref: { storage: owner, key } };
}

/** The OSS-style URL naming `key` in `storage` (the inverse of resolveObjectUrl's http form). */
export function objectUrl(storage: Storage, key: string, scheme: 'http' | 'https' = 'https'): string {
  return `${scheme}://${storage.location}/${(storage.prefix + key).split('/').map(encodeURIComponent).join('/')}`;
}

function decodeKey(rawPath: string): string | undefined {
  if (!rawPath.startsWith('/')) return undefined;
  const segments = rawPath.slice(1).split('/');
  const decoded: string[] = [];
  for (const segment of segments) {
    let d: string;
    try {
      d = decodeURIComponent(segment);
    } catch {
      return undefined;
    }
    // An encoded slash would let one segment smuggle `../`; keys are split on raw slashes only.
    if (d.includes('/')) return undefined;
    decoded.push(d);
  }
  const key = decoded.join('/');
  return isValidKey(key) ? key : undefined;
}
