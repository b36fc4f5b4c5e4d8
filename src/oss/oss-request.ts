// What an OSS request is, from its method, path, Host and query (oss-upload-subset §1, §12).
// Pure: the route feeds it the raw request line and headers.
import { OssError } from './oss-errors.js';

export type QueryPairs = ReadonlyArray<readonly [string, string | null]>;

export type OssOperation =
  | 'PutObject' | 'InitiateMultipartUpload' | 'UploadPart' | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload' | 'ListParts' | 'HeadObject';

/** Query pairs as sent, percent-decoded (`+` stays `+`: OSS clients encode spaces as %20). */
export function parseQuery(raw: string): Array<[string, string | null]> {
  if (raw === '') return [];
  return raw.split('&').filter((p) => p !== '').map((pair) => {
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq);
    const value = eq < 0 ? null : pair.slice(eq + 1);
    return [safeDecode(name), value === null ? null : safeDecode(value)];
  });
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export const queryValue = (query: QueryPairs, name: string): string | null | undefined => query.find(([k]) => k === name)?.[1];
const has = (query: QueryPairs, name: string): boolean => query.some(([k]) => k === name);

/** Query names that only OSS requests carry (the RPC API uses none of them). */
const OSS_QUERY = ['uploads', 'uploadId', 'partNumber', 'objectMeta', 'OSSAccessKeyId', 'x-oss-credential', 'x-oss-signature'];

/**
 * Whether a request on a path other than `/`, `/healthz` and `/media/*` is meant for the upload
 * endpoint: an OSS Authorization header, any x-oss-* header, an OSS sub-resource in the query, or
 * a CORS preflight. Anything else is not ours and gets the plain 404.
 */
export function looksLikeOss(method: string, headers: Readonly<Record<string, string | string[] | undefined>>, query: QueryPairs): boolean {
  const auth = headers.authorization;
  if (typeof auth === 'string' && /^OSS4?(-HMAC-SHA256)? /.test(auth)) return true;
  if (Object.keys(headers).some((h) => h.startsWith('x-oss-'))) return true;
  if (query.some(([k]) => OSS_QUERY.includes(k))) return true;
  return method === 'OPTIONS' && headers['access-control-request-method'] !== undefined;
}

/** The operation a request asks for (§12.3); anything outside the subset is refused. */
export function operationOf(method: string, query: QueryPairs, headers: Readonly<Record<string, string | string[] | undefined>>): OssOperation {
  const uploadId = has(query, 'uploadId');
  switch (method) {
    case 'PUT':
      if (headers['x-oss-copy-source'] !== undefined) throw new OssError('NotImplemented', 'CopyObject and UploadPartCopy are not supported by OpenVOD.');
      if (has(query, 'partNumber') || uploadId) {
        if (!uploadId) throw new OssError('InvalidArgument', 'Unexpected query string parameter: partNumber without uploadId.', { ArgumentName: 'uploadId', ArgumentValue: '' });
        if (!has(query, 'partNumber')) throw new OssError('InvalidArgument', 'Unexpected query string parameter: uploadId without partNumber.', { ArgumentName: 'partNumber', ArgumentValue: '' });
        return 'UploadPart';
      }
      if (['acl', 'append', 'tagging', 'symlink', 'restore'].some((s) => has(query, s))) break;
      return 'PutObject';
    case 'POST':
      if (has(query, 'uploads')) return 'InitiateMultipartUpload';
      if (uploadId) return 'CompleteMultipartUpload';
      break;
    case 'DELETE':
      if (uploadId) return 'AbortMultipartUpload';
      break;
    case 'GET':
      if (uploadId) return 'ListParts';
      break;
    case 'HEAD':
      return 'HeadObject';
  }
  throw new OssError('MethodNotAllowed', `OpenVOD's upload endpoint does not support ${method} with these sub-resources; it accepts PutObject, multipart upload, ListParts and HeadObject.`);
}

export interface Addressing {
  readonly bucket: string;
  readonly key: string;
}

const HOST_BUCKET = /^([a-z0-9][a-z0-9-]{1,61}[a-z0-9])\.oss-/;

/**
 * The bucket/key readings a request allows (§0 findings 1–5, §12.1). The signature always covers
 * `/bucket/key`, so the bucket must be known:
 *   - Host `<bucket>.oss-<region>…` (ali-oss with an IP endpoint, real OSS hosts), or
 *     `<bucket>.<our host>` (virtual-host style against our own name);
 *   - else the configured bucket (browser build and `cname: true` send no bucket at all).
 * The key is the decoded path; when the path also starts with `<bucket>/` (sldEnable, path
 * style) the reading without that segment is offered too. The caller picks the reading its
 * credential is scoped to.
 */
export function addressings(host: string | undefined, rawPath: string, configuredBucket: string): Addressing[] {
  const hostname = (host ?? '').replace(/:\d+$/, '').toLowerCase();
  const fromHost = HOST_BUCKET.exec(hostname)?.[1] ?? (hostname.startsWith(`${configuredBucket}.`) ? configuredBucket : undefined);
  const bucket = fromHost ?? configuredBucket;
  let path: string;
  try {
    path = decodeURIComponent(rawPath.replace(/^\/+/, ''));
  } catch {
    throw new OssError('InvalidObjectName', 'The object name is not validly percent-encoded UTF-8.');
  }
  const out: Addressing[] = [{ bucket, key: path }];
  if (path.startsWith(`${bucket}/`)) out.push({ bucket, key: path.slice(bucket.length + 1) });
  return out;
}
