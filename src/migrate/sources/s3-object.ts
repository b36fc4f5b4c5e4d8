// Pure rules of the s3: source: what a listed object says about itself, and how to name it.

/** "The maximum expiration time for presigned URLs is one week (604,800 seconds)" (SigV4 query auth). */
export const MAX_PRESIGN_EXPIRY_S = 604_800;

export const clampPresignExpiry = (expiresInS: number): number =>
  Number.isFinite(expiresInS) ? Math.min(MAX_PRESIGN_EXPIRY_S, Math.max(1, Math.ceil(expiresInS))) : MAX_PRESIGN_EXPIRY_S;

/**
 * The MD5 an ETag reveals: a single-part upload's ETag is the hex MD5 of the content (OSS writes
 * it in capitals); a multipart ETag has a `-<parts>` suffix and says nothing about the content.
 * (Objects encrypted with SSE-KMS/SSE-C also have non-MD5 ETags that look the same; listings do
 * not tell, so such buckets fail MD5 verification loudly rather than silently.)
 */
export function md5FromEtag(etag: string | undefined): string | undefined {
  const bare = etag?.replace(/^W\//, '').replace(/^"|"$/g, '');
  return bare !== undefined && /^[0-9a-fA-F]{32}$/.test(bare) ? bare.toLowerCase() : undefined;
}

/** A "directory" placeholder written by consoles and tools (`photos/`, `photos_$folder$`). */
export const isPlaceholderKey = (key: string): boolean => key.endsWith('/') || key.endsWith('_$folder$');

export const fileNameOfKey = (key: string): string => key.slice(key.lastIndexOf('/') + 1);

/** A key as a URL path: each segment percent-encoded (RFC 3986 unreserved kept), `/` kept. */
export const encodeKey = (key: string): string =>
  key.split('/').map((s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)).join('/');

/**
 * RegisterMedia's `FileURL` for an object (issue 6: "A storage's objects are named by
 * `http(s)://<location>/<key>` (the OSS-style form), and for s3 storages also
 * `s3://<bucket>/<key>`"). A location given with a scheme keeps it; otherwise the scheme follows
 * the source endpoint (http for an http endpoint, https otherwise, as OSS URLs are).
 */
export function registerUrlFor(opts: { bucket: string; key: string; storageLocation?: string | undefined; endpoint?: string | undefined }): string {
  const path = encodeKey(opts.key);
  const location = opts.storageLocation?.trim().replace(/\/+$/, '');
  if (location === undefined || location === '') return `s3://${opts.bucket}/${path}`;
  if (/^https?:\/\//i.test(location)) return `${location}/${path}`;
  const scheme = opts.endpoint !== undefined && /^http:\/\//i.test(opts.endpoint) ? 'http' : 'https';
  return `${scheme}://${location}/${path}`;
}

/** Path-style addressing by default for IP-address and localhost endpoints (MinIO, s3rver, Ceph). */
export function defaultForcePathStyle(endpoint: string | undefined): boolean {
  if (endpoint === undefined) return false;
  const host = new URL(endpoint).hostname;
  return host === 'localhost' || /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.startsWith('[');
}
