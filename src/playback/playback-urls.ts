// URLs of stored media (originals, covers, snapshots), signed with type-A `auth_key`.
// Stored references look like `blob:<key>`; anything else is an external URL shown as given.
import type { ServiceDeps } from '../api/rpc/action.js';
import { appendAuthKey } from '../domain/url-signing.js';
import type { UrlRenderer } from '../videos/video.view.js';

export const MEDIA_ROUTE_PREFIX = '/media/';
const BLOB_REF = 'blob:';

export const blobRef = (key: string): string => `${BLOB_REF}${key}`;
export const blobKeyOf = (stored: string): string | undefined => (stored.startsWith(BLOB_REF) ? stored.slice(BLOB_REF.length) : undefined);

/** Path of a blob key on the playback route, each segment percent-encoded. */
export const mediaPath = (key: string): string => MEDIA_ROUTE_PREFIX + key.split('/').map(encodeURIComponent).join('/');

type UrlDeps = Pick<ServiceDeps, 'config' | 'playbackKey'>;

/** A signed URL for a blob key, valid for `authTimeoutS` (default: the configured TTL). */
export function signedMediaUrl(deps: UrlDeps, key: string, nowMs: number, authTimeoutS?: number): string {
  const ttlS = deps.config.playback.authTtlS;
  const expiresAtS = Math.floor(nowMs / 1000) + (authTimeoutS ?? ttlS);
  return appendAuthKey(`${deps.config.publicUrl}${mediaPath(key)}`, { key: deps.playbackKey, expiresAtS, ttlS });
}

export function storedUrlRenderer(deps: UrlDeps, nowMs: number, authTimeoutS?: number): UrlRenderer {
  return (stored) => {
    const key = blobKeyOf(stored);
    return key === undefined ? stored : signedMediaUrl(deps, key, nowMs, authTimeoutS);
  };
}
