// OSS request signatures, verified server-side (oss-upload-subset §5, §6). Pure functions over a
// normalised request: the HTTP edge decodes the path into bucket + key and the query into pairs.
//
// V1 (ali-oss default; `Authorization: OSS <AccessKeyId>:<Signature>`):
//   Signature    = base64(HMAC-SHA1(AccessKeySecret, UTF-8 StringToSign))
//   StringToSign = VERB \n Content-MD5 \n Content-Type \n Date \n CanonicalizedOSSHeaders CanonicalizedResource
//   "Date" is x-oss-date when present (ali-oss never sends Date), else Date.
//   CanonicalizedOSSHeaders: every x-oss-* header, lowercase name, trimmed value, sorted, `name:value\n`.
//   CanonicalizedResource: `/bucket/key` with the key as raw UTF-8 (not URL-encoded), then the
//   signed sub-resources only, sorted, `?a&b=c` (an empty value is written as the bare name).
//
// V4 (`Authorization: OSS4-HMAC-SHA256 Credential=<AK>/<yyyymmdd>/<region>/oss/aliyun_v4_request,
//      [AdditionalHeaders=a;b,]Signature=<hex>`):
//   CanonicalRequest = VERB \n CanonicalURI \n CanonicalQuery \n CanonicalHeaders \n AdditionalHeaders \n HashedPayload
//   CanonicalURI: RFC 3986-encoded `/bucket/key`, `%2F` turned back into `/`.
//   CanonicalQuery: ALL query parameters, keys and values RFC 3986-encoded, sorted by encoded
//   key, `k=v` or bare `k` when the value is empty, joined by `&`.
//   CanonicalHeaders: content-type, content-md5, every x-oss-*, plus the AdditionalHeaders;
//   lowercase names, trimmed values, sorted, `name:value\n` each.
//   HashedPayload: the x-oss-content-sha256 header (ali-oss: UNSIGNED-PAYLOAD).
//   StringToSign = "OSS4-HMAC-SHA256\n" + x-oss-date + "\n" + <yyyymmdd>/<region>/oss/aliyun_v4_request + "\n" + hex(SHA256(CanonicalRequest))
//   SigningKey   = HMAC-SHA256 chain: ("aliyun_v4" + secret, yyyymmdd) → region → product → "aliyun_v4_request"
//   Signature    = lowercase hex HMAC-SHA256(SigningKey, StringToSign)
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** A request as the signer sees it. */
export interface OssSigningInput {
  readonly method: string;
  readonly bucket: string;
  /** The object key, decoded (raw UTF-8); '' for a bucket-level request. */
  readonly key: string;
  /** Query pairs, decoded, in wire order; `null` value = the name appeared without `=`. */
  readonly query: ReadonlyArray<readonly [string, string | null]>;
  /** Header values by lowercase name (repeated headers joined with `,`). */
  readonly headers: Readonly<Record<string, string | undefined>>;
}

/** Sub-resources that take part in the V1 CanonicalizedResource (docs21 list + newer SDKs). */
export const V1_SIGNED_SUBRESOURCES: ReadonlySet<string> = new Set([
  'acl', 'uploads', 'location', 'cors', 'logging', 'website', 'referer', 'lifecycle', 'delete', 'append', 'tagging', 'objectMeta',
  'uploadId', 'partNumber', 'security-token', 'position', 'img', 'style', 'styleName', 'replication', 'replicationProgress',
  'replicationLocation', 'cname', 'bucketInfo', 'comp', 'qos', 'live', 'status', 'vod', 'startTime', 'endTime', 'symlink',
  'x-oss-process', 'response-content-type', 'response-content-language', 'response-expires', 'response-cache-control',
  'response-content-disposition', 'response-content-encoding', 'udf', 'udfName', 'udfImage', 'udfId', 'udfImageDesc',
  'udfApplication', 'udfApplicationLog', 'restore', 'callback', 'callback-var', 'policy', 'stat', 'encryption', 'versions',
  'versioning', 'versionId', 'sequential', 'continuation-token', 'regionList', 'cloudboxes', 'resourceGroup', 'worm', 'wormId',
  'wormExtend', 'inventory', 'inventoryId', 'requestPayment', 'qosInfo', 'asyncFetch', 'objectInfo', 'accessPoint',
  'accessPointPolicy', 'httpsConfig', 'publicAccessBlock', 'policyStatus', 'metaQuery', 'redundancyTransition',
  'transferAcceleration', 'bucketArchiveDirectRead', 'responseHeader', 'userDefinedLogFieldsConfig', 'reservedcapacity',
  'x-oss-async-process', 'x-oss-ac-source-ip', 'x-oss-ac-subnet-mask', 'x-oss-ac-vpc-id', 'x-oss-ac-forward-allow',
  'x-oss-traffic-limit', 'x-oss-request-payer', 'dataAccessPoint',
]);

const header = (input: OssSigningInput, name: string): string => input.headers[name] ?? '';

// --- V1 ---------------------------------------------------------------------------------------

export function canonicalizedOssHeaders(headers: OssSigningInput['headers']): string {
  return Object.keys(headers)
    .filter((name) => name.startsWith('x-oss-') && headers[name] !== undefined)
    .sort()
    .map((name) => `${name}:${(headers[name] ?? '').trim()}\n`)
    .join('');
}

export function canonicalizedResourceV1(bucket: string, key: string, query: OssSigningInput['query']): string {
  let resource = bucket === '' ? '/' : `/${bucket}/${key}`;
  const subs = query.filter(([name]) => V1_SIGNED_SUBRESOURCES.has(name));
  if (subs.length > 0) {
    const sorted = [...subs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    resource += `?${sorted.map(([name, value]) => (value === null || value === '' ? name : `${name}=${value}`)).join('&')}`;
  }
  return resource;
}

export function stringToSignV1(input: OssSigningInput): string {
  const date = input.headers['x-oss-date'] ?? header(input, 'date');
  return [input.method.toUpperCase(), header(input, 'content-md5'), header(input, 'content-type'), date].join('\n') + '\n' +
    canonicalizedOssHeaders(input.headers) + canonicalizedResourceV1(input.bucket, input.key, input.query);
}

export const signV1 = (stringToSign: string, secret: string): string =>
  createHmac('sha1', secret).update(stringToSign, 'utf8').digest('base64');

/** `OSS <AccessKeyId>:<Signature>`, or undefined when the header is not of that form. */
export function parseV1Authorization(value: string): { accessKeyId: string; signature: string } | undefined {
  const m = /^OSS ([^:\s]+):(\S+)$/.exec(value.trim());
  return m ? { accessKeyId: m[1] as string, signature: m[2] as string } : undefined;
}

// --- V4 ---------------------------------------------------------------------------------------

export const V4_ALGORITHM = 'OSS4-HMAC-SHA256';

export interface V4Authorization {
  readonly accessKeyId: string;
  /** yyyymmdd of the credential scope. */
  readonly date: string;
  readonly region: string;
  readonly product: string;
  /** Lowercase names from AdditionalHeaders, as given. */
  readonly additionalHeaders: readonly string[];
  readonly signature: string;
}

/** Parses the V4 Authorization header; accepts `,` with or without a following space. */
export function parseV4Authorization(value: string): V4Authorization | undefined {
  const text = value.trim();
  if (!text.startsWith(`${V4_ALGORITHM} `)) return undefined;
  const fields = new Map<string, string>();
  for (const part of text.slice(V4_ALGORITHM.length + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) return undefined;
    fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential');
  const signature = fields.get('Signature');
  if (credential === undefined || signature === undefined || !/^[0-9a-f]{64}$/i.test(signature)) return undefined;
  const scope = credential.split('/');
  if (scope.length !== 5 || scope[4] !== 'aliyun_v4_request' || !/^\d{8}$/.test(scope[1] ?? '')) return undefined;
  const additional = fields.get('AdditionalHeaders');
  return {
    accessKeyId: scope[0] as string,
    date: scope[1] as string,
    region: scope[2] as string,
    product: scope[3] as string,
    additionalHeaders: additional === undefined || additional === '' ? [] : additional.split(';').map((h) => h.trim().toLowerCase()),
    signature: signature.toLowerCase(),
  };
}

/** RFC 3986 percent-encoding (encodeURIComponent plus `!'()*`). */
export const rfc3986 = (s: string): string =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

export function canonicalRequestV4(input: OssSigningInput, additionalHeaders: readonly string[]): string {
  const uri = rfc3986(`/${input.bucket}/${input.key}`).replace(/%2F/g, '/');
  const query = input.query
    .map(([k, v]) => [rfc3986(k), v === null || v === '' ? '' : rfc3986(v)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => (v === '' ? k : `${k}=${v}`))
    .join('&');
  const additional = [...new Set(additionalHeaders.map((h) => h.toLowerCase()))].sort();
  const names = Object.keys(input.headers)
    .filter((name) => input.headers[name] !== undefined)
    .filter((name) => name === 'content-type' || name === 'content-md5' || name.startsWith('x-oss-') || additional.includes(name))
    .sort();
  const canonicalHeaders = names.map((name) => `${name}:${(input.headers[name] ?? '').trim()}\n`).join('');
  const payload = input.headers['x-oss-content-sha256'] ?? 'UNSIGNED-PAYLOAD';
  return [input.method.toUpperCase(), uri, query, canonicalHeaders, additional.join(';'), payload].join('\n');
}

export function stringToSignV4(canonicalRequest: string, ossDate: string, scope: { date: string; region: string; product: string }): string {
  return [
    V4_ALGORITHM,
    ossDate,
    `${scope.date}/${scope.region}/${scope.product}/aliyun_v4_request`,
    createHash('sha256').update(canonicalRequest, 'utf8').digest('hex'),
  ].join('\n');
}

export function signV4(secret: string, scope: { date: string; region: string; product: string }, stringToSign: string): string {
  const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();
  let k = hmac(`aliyun_v4${secret}`, scope.date);
  k = hmac(k, scope.region);
  k = hmac(k, scope.product);
  k = hmac(k, 'aliyun_v4_request');
  return createHmac('sha256', k).update(stringToSign, 'utf8').digest('hex');
}

/** Constant-time string comparison (for signatures). */
export function sameSignature(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

// --- dates ------------------------------------------------------------------------------------

/** Milliseconds of an x-oss-date / Date value: RFC 1123 (V1) or `yyyymmddTHHMMSSZ` (V4). */
export function parseOssDate(value: string): number | undefined {
  const v4 = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (v4) {
    const [, y, mo, d, h, mi, s] = v4.map(Number) as [number, number, number, number, number, number, number];
    const ms = Date.UTC(y, mo - 1, d, h, mi, s);
    return Number.isNaN(ms) ? undefined : ms;
  }
  if (!/^[A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** `yyyymmddTHHMMSSZ` for a time (V4's x-oss-date). */
export const v4Date = (ms: number): string => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
