// Request authentication for the RPC surface: signature V1 (HMAC-SHA1 over the parameters) and
// V3 (ACS3-HMAC-SHA256 over a canonical request), the timestamp window, and single-use nonces
// kept in the metadata store so that they hold across every process of a deployment.
//
// Two steps: `verifySignature` (key, timestamp, signature — no write) and `consumeNonce` (the
// write that makes the request single-use). A request may be answered only once both succeeded.
import type { IncomingHttpHeaders } from 'node:http';
import type { AccessKeyCache } from '../../auth/access-key.cache.js';
import type { AccessKey } from '../../auth/access-key.repository.js';
import type { NonceBatcher } from '../../auth/signature-nonce.batcher.js';
import { ApiError, missing } from '../../domain/errors.js';
import { checkTimestampV1, safeEqual, signV1, stringToSignV1 } from './signature-v1.js';
import { canonicalRequestV3, parseAuthorizationV3, sha256Hex, signV3, stringToSignV3, V3_REQUIRED_SIGNED_HEADERS } from './signature-v3.js';

export interface SignedRequest {
  method: string;
  /** Decoded query pairs in arrival order (only V3 asks for them). */
  queryPairs(): ReadonlyArray<readonly [string, string]>;
  /** Query and form-body parameters merged (body wins on a clash). */
  params: ReadonlyMap<string, string>;
  headers: IncomingHttpHeaders;
  /** Repeated headers kept apart: V3 joins their values its own way. Only V3 asks for them. */
  distinctHeaders(): Readonly<Record<string, readonly string[] | undefined>>;
  rawBody: Buffer;
}

export interface AuthOptions {
  nowMs: number;
  windowMs: number;
  /** Cache of access keys; a key's disable takes effect within its TTL. */
  keys: AccessKeyCache;
}

export interface AuthResult {
  key: AccessKey;
  scheme: 'V1' | 'V3';
}

/** A request whose signature holds; its nonce is not consumed yet. */
export interface VerifiedRequest extends AuthResult {
  nonce: string;
}

/** Every check but the nonce's; nothing is written. (Not async itself: it hands on the scheme's promise.) */
export function verifySignature(req: SignedRequest, opts: AuthOptions): Promise<VerifiedRequest> {
  const authorization = headerValue(req.headers.authorization);
  if (authorization !== undefined && authorization.startsWith('ACS3-')) return verifyV3(req, authorization, opts);
  return verifyV1(req, opts);
}

/**
 * Records the nonce of a verified request; resolves once it is durable, rejects with
 * SignatureNonceUsed when it was used before (by any process) within its lifetime.
 */
export async function consumeNonce(nonces: NonceBatcher, verified: VerifiedRequest, nowMs: number): Promise<void> {
  const outcome = await nonces.claim(verified.key.accessKeyId, verified.nonce, nowMs);
  if (outcome !== 'fresh') throw new ApiError('SignatureNonceUsed');
}

async function verifyV1(req: SignedRequest, opts: AuthOptions): Promise<VerifiedRequest> {
  const p = req.params;
  const signature = p.get('Signature');
  const accessKeyId = p.get('AccessKeyId');
  if (!accessKeyId) throw missing('AccessKeyId');
  if (!signature) throw missing('Signature');
  const method = p.get('SignatureMethod');
  if (method !== undefined && method !== 'HMAC-SHA1') throw new ApiError('InvalidSignatureMethod', `Specified signature method "${method}" is not supported; use HMAC-SHA1.`);
  const version = p.get('SignatureVersion');
  if (version !== undefined && version !== '1.0') throw new ApiError('InvalidParameter', 'The specified parameter "SignatureVersion" must be 1.0.');
  const nonce = p.get('SignatureNonce');
  if (!nonce) throw missing('SignatureNonce');
  checkTimestampV1(p.get('Timestamp'), opts.nowMs, opts.windowMs);

  const key = activeKeyNow(accessKeyId, opts) ?? (await activeKey(accessKeyId, opts));
  // §9a: StringToSign = METHOD & %2F & percentEncode(sorted, encoded params except Signature).
  const stringToSign = stringToSignV1(req.method, p);
  const expected = signV1(stringToSign, key.accessKeySecret);
  if (!safeEqual(expected, signature)) {
    throw new ApiError('SignatureDoesNotMatch', `Specified signature is not matched with our calculation. server string to sign is:${stringToSign}`);
  }
  return { key, scheme: 'V1', nonce: checkNonceLength(nonce) };
}

async function verifyV3(req: SignedRequest, authorization: string, opts: AuthOptions): Promise<VerifiedRequest> {
  const auth = parseAuthorizationV3(authorization);
  const nonce = headerValue(req.headers['x-acs-signature-nonce']);
  if (!nonce) throw missing('x-acs-signature-nonce');
  checkTimestampV3(headerValue(req.headers['x-acs-date']), opts);
  // x-acs-action and x-acs-version drive dispatch in V3, so they must be signed like the rest.
  for (const required of V3_REQUIRED_SIGNED_HEADERS) {
    if (!auth.signedHeaders.includes(required)) throw new ApiError('IncompleteSignature', `The header "${required}" must be signed.`);
  }

  const key = activeKeyNow(auth.accessKeyId, opts) ?? (await activeKey(auth.accessKeyId, opts));
  // The hash that is signed is the hash of the body we actually received, so a body changed on
  // the way fails the check whatever x-acs-content-sha256 claims.
  const payloadHash = sha256Hex(req.rawBody);
  const claimed = headerValue(req.headers['x-acs-content-sha256']);
  if (claimed !== undefined && claimed.toLowerCase() !== payloadHash) {
    throw new ApiError('SignatureDoesNotMatch', 'The x-acs-content-sha256 header does not match the request body.');
  }
  const canonical = canonicalRequestV3({
    method: req.method,
    path: '/',
    query: req.queryPairs(),
    headers: req.distinctHeaders(),
    signedHeaders: auth.signedHeaders,
    payloadHash,
  });
  const stringToSign = stringToSignV3(canonical);
  const expected = signV3(stringToSign, key.accessKeySecret);
  if (!safeEqual(expected, auth.signature)) {
    throw new ApiError('SignatureDoesNotMatch', `Specified signature is not matched with our calculation. server string to sign is:${stringToSign}`);
  }
  return { key, scheme: 'V3', nonce: checkNonceLength(nonce) };
}

function checkTimestampV3(value: string | undefined, opts: AuthOptions): void {
  if (value === undefined) throw missing('x-acs-date');
  checkTimestampV1(value, opts.nowMs, opts.windowMs);
}

async function activeKey(accessKeyId: string, opts: AuthOptions): Promise<AccessKey> {
  return checkActive(await opts.keys.get(accessKeyId, opts.nowMs));
}

/** The key when the cache holds its settled value (most requests), without waiting a turn; else undefined. */
function activeKeyNow(accessKeyId: string, opts: AuthOptions): AccessKey | undefined {
  const cached = opts.keys.peek(accessKeyId, opts.nowMs);
  return cached === undefined ? undefined : checkActive(cached.key);
}

function checkActive(key: AccessKey | undefined): AccessKey {
  if (!key) throw new ApiError('InvalidAccessKeyId.NotFound');
  if (key.status !== 'Active') throw new ApiError('InvalidAccessKeyId.Inactive');
  return key;
}

function checkNonceLength(nonce: string): string {
  if (nonce.length > 128) throw new ApiError('InvalidParameter', 'The signature nonce is longer than 128 characters.');
  return nonce;
}

const headerValue = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v.join(',') : v);
