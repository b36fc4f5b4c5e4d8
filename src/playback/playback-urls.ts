// URLs of stored media (originals, covers, snapshots), signed with type-A `auth_key`.
// Stored references look like `blob:<key>`; anything else is an external URL shown as given.
import type { ServiceDeps } from '../api/rpc/action.js';
import { DEFAULT_STORAGE_LOCATION } from '../domain/storage.js';
import { appendAuthKey } from '../domain/url-signing.js';
import type { UrlRenderer } from '../videos/video.view.js';

export const MEDIA_ROUTE_PREFIX = '/media/';
/** Objects of the other declared storages: `/storages/<location>/<key>`. */
export const STORAGE_ROUTE_PREFIX = '/storages/';
const BLOB_REF = 'blob:';

export const blobRef = (key: string): string => `${BLOB_REF}${key}`;
export const blobKeyOf = (stored: string): string | undefined => (stored.startsWith(BLOB_REF) ? stored.slice(BLOB_REF.length) : undefined);

/** Path of a blob key on the playback route, each segment percent-encoded. */
export const mediaPath = (key: string): string => MEDIA_ROUTE_PREFIX + key.split('/').map(encodeURIComponent).join('/');

/** Path of an object on the playback route: the built-in storage's at /media/, others' at /storages/<location>/. */
export const objectPath = (location: string, key: string): string =>
  location === DEFAULT_STORAGE_LOCATION ? mediaPath(key) : `${STORAGE_ROUTE_PREFIX}${encodeURIComponent(location)}/${key.split('/').map(encodeURIComponent).join('/')}`;

type UrlDeps = Pick<ServiceDeps, 'config' | 'playbackKey'>;

/** A signed URL for a blob key, valid for `authTimeoutS` (default: the configured TTL). */
export function signedMediaUrl(deps: UrlDeps, key: string, nowMs: number, authTimeoutS?: number): string {
  return signedObjectUrl(deps, DEFAULT_STORAGE_LOCATION, key, nowMs, authTimeoutS);
}

/** A signed URL for an object of any storage (a media's source: its StorageLocation and key). */
export function signedObjectUrl(deps: UrlDeps, location: string, key: string, nowMs: number, authTimeoutS?: number): string {
  const ttlS = deps.config.playback.authTtlS;
  const expiresAtS = Math.floor(nowMs / 1000) + (authTimeoutS ?? ttlS);
  return appendAuthKey(`${deps.config.publicUrl}${objectPath(location, key)}`, { key: deps.playbackKey, expiresAtS, ttlS });
}

export function storedUrlRenderer(deps: UrlDeps, nowMs: number, authTimeoutS?: number): UrlRenderer {
  return (stored) => {
    const key = blobKeyOf(stored);
    return key === undefined ? stored : signedMediaUrl(deps, key, nowMs, authTimeoutS);
  };
}
