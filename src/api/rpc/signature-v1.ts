// Alibaba Cloud RPC signature V1 ("SignatureVersion=1.0", HMAC-SHA1), as sent by
// @alicloud/pop-core, aliyun-*-sdk-core and Tea SDKs with signatureAlgorithm 'v2'.
// Pure: the caller merges query + form body, looks up the key and checks the nonce.
// Reference: apsaravideo-vod-api.md §9a.

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { ApiError, missing } from '../../domain/errors.js';

/** Request parameters as the server decoded them (query and form body merged; `+` already a space). */
export type SignedParams = ReadonlyMap<string, string> | Readonly<Record<string, string>>;

export const DEFAULT_TIMESTAMP_WINDOW_MS = 15 * 60 * 1000;

// "Percent-encode each name and value (UTF-8, RFC 3986): keep A-Z a-z 0-9 - _ . ~;
//  everything else %XX uppercase hex; space → %20 (never +); * → %2A; ~ stays."
// Byte-wise over UTF-8, so it equals encodeURIComponent + escaping !'()* for every
// well-formed string, and never throws (a lone surrogate becomes %EF%BF%BD).
const ENCODED_BYTE: readonly string[] = Array.from({ length: 256 }, (_, byte) => {
  const ch = String.fromCharCode(byte);
  return /^[A-Za-z0-9\-_.~]$/.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
});

export function percentEncode(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) out += ENCODED_BYTE[byte];
  return out;
}

/** Code-unit order, as the SDKs sort (`Array.prototype.sort`, Java `String.compareTo`). */
export const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const entriesOf = (params: SignedParams): Array<[string, string]> =>
  params instanceof Map ? [...(params as ReadonlyMap<string, string>)] : Object.entries(params);

const valueOf = (params: SignedParams, name: string): string | undefined =>
  params instanceof Map
    ? (params as ReadonlyMap<string, string>).get(name)
    : Object.hasOwn(params, name) ? (params as Readonly<Record<string, string>>)[name] : undefined;

/**
 * "Collect all params from query + form body except Signature. Sort by parameter name
 *  (code-unit order of the raw names). CanonicalizedQueryString = k=v joined with &."
 */
export function canonicalQueryV1(params: SignedParams): string {
  return entriesOf(params)
    .filter(([name]) => name !== 'Signature')
    .sort(([a], [b]) => byCodeUnit(a, b))
    .map(([name, value]) => `${percentEncode(name)}=${percentEncode(value)}`)
    .join('&');
}

/** "StringToSign = HTTPMethod + "&" + percentEncode("/") + "&" + percentEncode(CanonicalizedQueryString)". */
export function stringToSignV1(method: string, params: SignedParams): string {
  return `${method.toUpperCase()}&${percentEncode('/')}&${percentEncode(canonicalQueryV1(params))}`;
}

/** "Signature = Base64(HMAC-SHA1(key = AccessKeySecret + "&", StringToSign))". */
export function signV1(stringToSign: string, secret: string): string {
  return createHmac('sha1', `${secret}&`).update(stringToSign, 'utf8').digest('base64');
}

/** The gateway echoes its StringToSign on mismatch so clients can diff it against theirs. */
export const signatureMismatch = (serverStringToSign: string): ApiError =>
  new ApiError(
    'SignatureDoesNotMatch',
    `Specified signature is not matched with our calculation. server string to sign is:${serverStringToSign}`,
  );

/**
 * Checks SignatureMethod and Signature of a V1 request against `secret`; throws on failure.
 * Key lookup, Timestamp, SignatureNonce and SignatureVersion are the caller's concern.
 */
export function verifyV1(method: string, params: SignedParams, secret: string): void {
  const signatureMethod = valueOf(params, 'SignatureMethod');
  if (!signatureMethod) throw missing('SignatureMethod');
  // "SignatureMethod: HMAC-SHA1" — the only method V1 defines for AccessKey secrets.
  if (signatureMethod !== 'HMAC-SHA1') throw new ApiError('InvalidSignatureMethod');
  const given = valueOf(params, 'Signature');
  if (!given) throw missing('Signature');
  const stringToSign = stringToSignV1(method, params);
  if (!safeEqual(signV1(stringToSign, secret), given)) throw signatureMismatch(stringToSign);
}

const ISO_UTC = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?Z$/;

/** Strict `YYYY-MM-DDThh:mm:ss[.fraction]Z`: rejects Feb 30, 24:00 and the like that Date.parse lets through. */
export function parseTimestamp(value: string): number | undefined {
  const m = ISO_UTC.exec(value);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const fractionMs = m[7] === undefined ? 0 : Math.floor(Number(`0${m[7]}`) * 1000);
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  const same =
    back.getUTCFullYear() === y && back.getUTCMonth() === mo - 1 && back.getUTCDate() === d &&
    back.getUTCHours() === h && back.getUTCMinutes() === mi && back.getUTCSeconds() === s;
  return same ? ms + fractionMs : undefined;
}

/** Shared by V1 `Timestamp` and V3 `x-acs-date`; `absent` is what to throw when there is no value. */
export function checkTimestamp(
  value: string | undefined,
  nowMs: number,
  windowMs: number,
  absent: () => ApiError,
): number {
  if (value === undefined || value === '') throw absent();
  // "Timestamp: UTC YYYY-MM-DDThh:mm:ssZ" (some SDKs add fractional seconds: accepted).
  const ms = parseTimestamp(value);
  if (ms === undefined) throw new ApiError('InvalidTimeStamp.Format');
  // ">15 min skew → InvalidTimeStamp.Expired" — in either direction.
  if (Math.abs(nowMs - ms) > windowMs) throw new ApiError('InvalidTimeStamp.Expired');
  return ms;
}

/** Validates the V1 `Timestamp` parameter; returns it in epoch ms. */
export function checkTimestampV1(
  value: string | undefined,
  nowMs: number,
  windowMs: number = DEFAULT_TIMESTAMP_WINDOW_MS,
): number {
  return checkTimestamp(value, nowMs, windowMs, () => new ApiError('IllegalTimestamp'));
}

/** Constant-time string equality (hashing first makes the time independent of both lengths). */
export function safeEqual(a: string, b: string): boolean {
  const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b)) && a === b;
}
