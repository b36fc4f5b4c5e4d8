// A URL given for a cover (CoverURL) that points at OpenVOD's own stored media — the signed
// ImageURL/FileURL of CreateUploadImage, or a cover URL copied from GetVideoInfo — is stored as a
// `blob:<key>` reference, not as the URL: its auth_key expires, the reference does not, and every
// answer signs it afresh. Anything else is an external URL, kept as given.
import { isValidKey } from '../blob/blob-key.js';
import { blobRef, MEDIA_ROUTE_PREFIX } from '../playback/playback-urls.js';

export function storedMediaUrl(publicUrl: string, url: string): string {
  if (url === '') return url;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  if (parsed.origin !== new URL(publicUrl).origin || !parsed.pathname.startsWith(MEDIA_ROUTE_PREFIX)) return url;
  let key: string;
  try {
    key = parsed.pathname.slice(MEDIA_ROUTE_PREFIX.length).split('/').map(decodeURIComponent).join('/');
  } catch {
    return url;
  }
  return isValidKey(key) ? blobRef(key) : url;
}
