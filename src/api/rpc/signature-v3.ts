// Alibaba Cloud signature V3 (ACS3-HMAC-SHA256), the default of the Tea/Darabonba SDKs
// (@alicloud/openapi-client `doRequest`, TS @alicloud/vod20170321 ≥ 2.0.2).
// Pure: the caller looks up the key, checks x-acs-date freshness and the nonce.
// Reference: apsaravideo-vod-api.md §9b; @alicloud/openapi-util `getAuthorization`.

import { createHash } from 'node:crypto';
import { hmac } from '../../domain/hmac.js';
import { ApiError, missing } from '../../domain/errors.js';
import {
  byCodeUnit,
  checkTimestamp,
  DEFAULT_TIMESTAMP_WINDOW_MS,
  percentEncode,
  safeEqual,
} from './signature-v1.js';

export const ACS3_HMAC_SHA256 = 'ACS3-HMAC-SHA256';

export interface AuthorizationV3 {
  readonly algorithm: string;
  readonly accessKeyId: string;
  /** Exactly as listed by the client (lowercase names, normally already sorted). */
  readonly signedHeaders: string[];
  /** Lowercase hex. */
  readonly signature: string;
}

/** Header values as Node gives them: `req.headers`, or `req.headersDistinct` for exact repeats. */
export type RequestHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

export interface CanonicalRequestInput {
  readonly method: string;
  /** Raw (still percent-encoded) path of the request URL, without the query; RPC uses `/`. */
  readonly path: string;
  /** Decoded query pairs in arrival order (URLSearchParams semantics). */
  readonly query: ReadonlyArray<readonly [string, string]>;
  /** Lowercased header names. */
  readonly headers: RequestHeaders;
  readonly signedHeaders: readonly string[];
  /** Lowercase hex SHA-256 of the request body (of `''` when there is none). */
  readonly payloadHash: string;
}

const incomplete = (why: string): ApiError =>
  new ApiError('IncompleteSignature', `The request signature does not conform to Aliyun standards. ${why}`);

/**
 * "Authorization: ACS3-HMAC-SHA256 Credential=<AKID>,SignedHeaders=<list>,Signature=<hex>".
 * Blanks after the commas are tolerated; unknown fields are ignored.
 */
export function parseAuthorizationV3(header: string): AuthorizationV3 {
  const m = /^(\S+) +(\S.*)$/s.exec(header.trim());
  if (!m) throw incomplete('Authorization must be "<algorithm> Credential=…,SignedHeaders=…,Signature=…".');
  const [, algorithm = '', rest = ''] = m;
  const fields = new Map<string, string>();
  for (const part of rest.split(',')) {
    const eq = part.indexOf('=');
    const name = part.slice(0, Math.max(eq, 0)).trim();
    if (eq < 1 || fields.has(name)) throw incomplete(`Malformed Authorization field "${part.trim()}".`);
    fields.set(name, part.slice(eq + 1).trim());
  }
  const accessKeyId = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!accessKeyId) throw incomplete('Authorization lacks Credential.');
  if (signedHeaders === undefined) throw incomplete('Authorization lacks SignedHeaders.');
  if (!signature) throw incomplete('Authorization lacks Signature.');
  const names = signedHeaders === '' ? [] : signedHeaders.split(';');
  if (names.some((n) => !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(n))) throw incomplete('Malformed SignedHeaders.');
  // "Other algorithms exist: ACS3-HMAC-SM3, ACS3-RSA-SHA256" — we only hold HMAC secrets for SHA256.
  if (algorithm !== ACS3_HMAC_SHA256) throw new ApiError('InvalidSignatureMethod');
  return { algorithm, accessKeyId, signedHeaders: names, signature };
}

/**
 * "CanonicalQueryString (keys sorted; key=encode(value))". The TS and Go SDKs put the raw
 * key and sort by it (Java percent-encodes the key too; same result for RPC parameter names,
 * which are [A-Za-z0-9._]). Values are RFC 3986-encoded; a valueless key is `key=`.
 */
export function canonicalQueryV3(query: ReadonlyArray<readonly [string, string]>): string {
  return query
    .map(([key, value]) => [key, percentEncode(value)] as const)
    .sort(([ka, va], [kb, vb]) => byCodeUnit(ka, kb) || byCodeUnit(va, vb))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
}

/**
 * "CanonicalHeaders: lowername:trimmed value\n … sorted; duplicate values joined by ','".
 * Built over exactly the headers the client named in SignedHeaders (it signs every x-acs-*,
 * host and content-type it sends; we don't second-guess its choice). Repeated values are
 * sorted then joined, as the SDKs do; a named header we did not receive counts as empty.
 */
export function canonicalHeadersV3(headers: RequestHeaders, signedHeaders: readonly string[]): string {
  const names = signedHeaders.map((n) => n.toLowerCase()).sort(byCodeUnit);
  return names
    .map((name) => {
      const raw = Object.hasOwn(headers, name) ? headers[name] : undefined;
      const values = raw === undefined ? [''] : typeof raw === 'string' ? [raw.trim()] : raw.map((v) => v.trim()).sort(byCodeUnit);
      return `${name}:${values.join(',')}\n`;
    })
    .join('');
}

/**
 * "CanonicalRequest = METHOD \n CanonicalURI \n CanonicalQueryString \n CanonicalHeaders \n
 *  SignedHeaders \n HashedPayload". The SignedHeaders line is the client's list verbatim: the
 * Tea Java util sorts the header lines but lists SignedHeaders in map order and signs that.
 */
export function canonicalRequestV3(input: CanonicalRequestInput): string {
  return [
    input.method.toUpperCase(),
    input.path === '' ? '/' : input.path,
    canonicalQueryV3(input.query),
    canonicalHeadersV3(input.headers, input.signedHeaders),
    input.signedHeaders.join(';'),
    input.payloadHash,
  ].join('\n');
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** "StringToSign = ACS3-HMAC-SHA256\n + hex(SHA256(CanonicalRequest))". */
export function stringToSignV3(canonicalRequest: string): string {
  return `${ACS3_HMAC_SHA256}\n${sha256Hex(canonicalRequest)}`;
}

/** "Signature = hex(HMAC-SHA256(key = AccessKeySecret (no &), StringToSign))". */
export function signV3(stringToSign: string, secret: string): string {
  return hmac('sha256', secret, stringToSign, 'hex');
}

/**
 * Headers the server acts on (dispatch, replay protection, tenancy), so they must be covered
 * by the signature even though the client chooses what to sign. Every official SDK signs them.
 */
export const V3_REQUIRED_SIGNED_HEADERS = ['host', 'x-acs-action', 'x-acs-date', 'x-acs-signature-nonce', 'x-acs-version'] as const;
/** Signed whenever present (STS credentials). */
const V3_SIGNED_IF_PRESENT = ['x-acs-security-token', 'x-acs-accesskey-id'] as const;

export interface VerifyV3Input extends Omit<CanonicalRequestInput, 'signedHeaders' | 'payloadHash'> {
  readonly authorization: AuthorizationV3;
  /** The raw request body exactly as received (empty when none). */
  readonly body: string | Uint8Array;
  readonly secret: string;
}

/** Checks the signature of a V3 request; throws IncompleteSignature or SignatureDoesNotMatch. */
export function verifyV3(input: VerifyV3Input): void {
  const { authorization, headers } = input;
  const signed = new Set(authorization.signedHeaders.map((n) => n.toLowerCase()));
  const mustSign = [...V3_REQUIRED_SIGNED_HEADERS, ...V3_SIGNED_IF_PRESENT.filter((n) => Object.hasOwn(headers, n))];
  const unsigned = mustSign.filter((n) => !signed.has(n));
  if (unsigned.length > 0) throw incomplete(`SignedHeaders must include ${unsigned.join(', ')}.`);
  // The payload line uses the hash of the bytes we received, not the x-acs-content-sha256 the
  // client claims: a body swapped in transit then fails here (the header itself is signed).
  const canonical = canonicalRequestV3({ ...input, signedHeaders: authorization.signedHeaders, payloadHash: sha256Hex(input.body) });
  if (!safeEqual(signV3(stringToSignV3(canonical), input.secret), authorization.signature.toLowerCase())) {
    throw new ApiError(
      'SignatureDoesNotMatch',
      `Specified signature is not matched with our calculation. server canonical request is:${canonical}`,
    );
  }
}

/** Validates `x-acs-date` (same format and ±15 min window as the V1 Timestamp); returns epoch ms. */
export function checkAcsDateV3(
  value: string | undefined,
  nowMs: number,
  windowMs: number = DEFAULT_TIMESTAMP_WINDOW_MS,
): number {
  return checkTimestamp(value, nowMs, windowMs, () => missing('x-acs-date'));
}
