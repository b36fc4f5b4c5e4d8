// URLs of stored media (originals, covers, snapshots), signed with type-A `auth_key`.
// Stored references look like `blob:<key>`; anything else is an external URL shown as given.
import type { ServiceDeps } from '../api/rpc/action.js';
import { DEFAULT_STORAGE_LOCATION } from '../domain/storage.js';
import { appendAuthKey, signTypeAUntil } from '../domain/url-signing.js';
import type { UrlRenderer } from '../videos/video.view.js';

export const MEDIA_ROUTE_PREFIX = '/media/';
/** Objects of the other declared storages: `/storages/<location>/<key>`. */
export const STORAGE_ROUTE_PREFIX = '/storages/';
const BLOB_REF = 'blob:';

export const blobRef = (key: string): string => `${BLOB_REF}${key}`;
export const blobKeyOf = (stored: string): string | undefined => (stored.startsWith(BLOB_REF) ? stored.slice(BLOB_REF.length) : undefined);

/** Characters encodeURIComponent leaves as they are, and `/`: a key made only of them is its own encoded path. */
const PATH_SAFE = /^[A-Za-z0-9\-_.!~*'()/]*$/;

/** A key with each `/`-separated segment percent-encoded. */
const encodeSegments = (key: string): string => (PATH_SAFE.test(key) ? key : key.split('/').map(encodeURIComponent).join('/'));

/** Path of a blob key on the playback route, each segment percent-encoded. */
export const mediaPath = (key: string): string => MEDIA_ROUTE_PREFIX + encodeSegments(key);

/** Path of an object on the playback route: the built-in storage's at /media/, others' at /storages/<location>/. */
export const objectPath = (location: string, key: string): string =>
  location === DEFAULT_STORAGE_LOCATION ? mediaPath(key) : `${STORAGE_ROUTE_PREFIX}${encodeURIComponent(location)}/${encodeSegments(key)}`;

type UrlDeps = Pick<ServiceDeps, 'config' | 'playbackKey'>;

/** A signed URL for a blob key, valid for `authTimeoutS` (default: the configured TTL). */
export function signedMediaUrl(deps: UrlDeps, key: string, nowMs: number, authTimeoutS?: number): string {
  return signedObjectUrl(deps, DEFAULT_STORAGE_LOCATION, key, nowMs, authTimeoutS);
}

/** A signed URL for an object of any storage (a media's source: its StorageLocation and key). */
export function signedObjectUrl(deps: UrlDeps, location: string, key: string, nowMs: number, authTimeoutS?: number): string {
  const ttlS = deps.config.playback.authTtlS;
  const expiresAtS = Math.floor(nowMs / 1000) + (authTimeoutS ?? ttlS);
  const path = objectPath(location, key);
  const base = canonicalBase(deps.config.publicUrl);
  if (base === undefined || hasDotSegment(location, key)) return appendAuthKey(`${deps.config.publicUrl}${path}`, { key: deps.playbackKey, expiresAtS, ttlS });
  // What appendAuthKey would return, without parsing the URL again: the base is in WHATWG form,
  // and `path` is made of encodeURIComponent's output, which WHATWG serialisation leaves as it is
  // (none of its characters is in the path percent-encode set) unless a segment is `.` or `..`
  // (resolved away; those keys take the slow path above). playback-urls.test.ts compares both.
  const signedPath = base.path + path;
  return `${base.origin}${signedPath}?auth_key=${signTypeAUntil(signedPath, expiresAtS, ttlS, deps.playbackKey)}`;
}

interface CanonicalBase {
  readonly origin: string;
  /** The public URL's path without its trailing `/` (`''` at the root). */
  readonly path: string;
}

let lastBase: { publicUrl: string; base: CanonicalBase | undefined } | undefined;

/** `publicUrl` as `new URL` serialises it, or undefined when it has parts a plain join could get wrong. */
function canonicalBase(publicUrl: string): CanonicalBase | undefined {
  if (lastBase?.publicUrl === publicUrl) return lastBase.base;
  let base: CanonicalBase | undefined;
  try {
    const u = new URL(publicUrl);
    const plain = (u.protocol === 'http:' || u.protocol === 'https:') && u.username === '' && u.password === '' && u.search === '' && u.hash === '' && !publicUrl.endsWith('?') && !publicUrl.endsWith('#');
    base = plain ? { origin: u.origin, path: u.pathname.replace(/\/$/, '') } : undefined;
  } catch {
    base = undefined;
  }
  lastBase = { publicUrl, base };
  return base;
}

const DOT_SEGMENT = /(^|\/)\.\.?(\/|$)/;
const hasDotSegment = (location: string, key: string): boolean => DOT_SEGMENT.test(key) || location === '.' || location === '..';

/**
 * Renders stored references for one answer. A reference that appears twice in it (a cover that is
 * also the first snapshot) is signed once.
 */
export function storedUrlRenderer(deps: UrlDeps, nowMs: number, authTimeoutS?: number): UrlRenderer {
  let last: { stored: string; url: string } | undefined;
  return (stored) => {
    if (last?.stored === stored) return last.url;
    const key = blobKeyOf(stored);
    const url = key === undefined ? stored : signedMediaUrl(deps, key, nowMs, authTimeoutS);
    last = { stored, url };
    return url;
  };
}
