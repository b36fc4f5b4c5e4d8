// Authentication of an upload-endpoint request (oss-upload-subset §5–§7, §12.4): the temporary
// credential issued with an UploadAddress, in the V1 or V4 header form, with its security token,
// inside the 15-minute clock window, signed over `/bucket/key` — and scoped to exactly the one
// object it was issued for.
import { OssError } from '../oss/oss-errors.js';
import type { Addressing, QueryPairs } from '../oss/oss-request.js';
import {
  canonicalRequestV4, parseOssDate, parseV1Authorization, parseV4Authorization, sameSignature, signV1, signV4, stringToSignV1, stringToSignV4,
  type OssSigningInput,
} from '../oss/oss-signature.js';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { type CredentialRow, findCredential } from './upload.repository.js';

export interface OssAuthInput {
  readonly method: string;
  readonly addressings: readonly Addressing[];
  readonly query: QueryPairs;
  /** Lowercase names; repeated headers joined with `,`. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly nowMs: number;
  readonly windowMs: number;
}

export interface OssAuthResult {
  readonly credential: CredentialRow;
  /** The reading of the path the credential is scoped to. */
  readonly bucket: string;
  readonly key: string;
}

const isoMs = (ms: number): string => new Date(ms).toISOString();
const hexBytes = (s: string): string => [...Buffer.from(s, 'utf8')].map((b) => b.toString(16).padStart(2, '0')).join(' ');

export async function authenticateOss(db: Kysely<Database>, input: OssAuthInput): Promise<OssAuthResult> {
  const authorization = input.headers.authorization;
  if (authorization === undefined) {
    if (input.query.some(([k]) => k === 'OSSAccessKeyId' || k === 'x-oss-credential')) {
      throw new OssError('AccessDenied', 'Query-string (presigned URL) authentication is not supported by OpenVOD; sign the Authorization header.');
    }
    throw new OssError('AccessDenied', 'Anonymous access is forbidden: sign the request with the UploadAuth credential.');
  }
  const v1 = parseV1Authorization(authorization);
  const v4 = v1 === undefined ? parseV4Authorization(authorization) : undefined;
  if (v1 === undefined && v4 === undefined) throw new OssError('InvalidArgument', 'Authorization header is invalid.', { ArgumentName: 'Authorization', ArgumentValue: authorization.split(/[\s:]/)[0] ?? '' });
  const accessKeyId = (v1?.accessKeyId ?? v4?.accessKeyId) as string;

  const credential = await findCredential(db, accessKeyId);
  if (!credential) throw new OssError('InvalidAccessKeyId', undefined, { OSSAccessKeyId: accessKeyId });
  if (credential.expires_at_ms <= input.nowMs) throw new OssError('SecurityTokenExpired');
  const token = input.headers['x-oss-security-token'];
  if (token === undefined || !sameSignature(token, credential.security_token)) throw new OssError('InvalidSecurityToken');

  // ali-oss never sends Date, only x-oss-date, which wins when both are present (§0 finding 6).
  const dateText = input.headers['x-oss-date'] ?? input.headers.date;
  if (dateText === undefined) throw new OssError('AccessDenied', 'AWS authentication requires a valid Date or x-oss-date header.');
  const requestMs = parseOssDate(dateText);
  if (requestMs === undefined) throw new OssError('AccessDenied', `Invalid date format: ${dateText.slice(0, 64)}`);
  if (Math.abs(requestMs - input.nowMs) > input.windowMs) {
    throw new OssError('RequestTimeTooSkewed', undefined, {
      MaxAllowedSkewMilliseconds: String(input.windowMs), RequestTime: isoMs(requestMs), ServerTime: isoMs(input.nowMs),
    });
  }

  const scoped = input.addressings.find((a) => a.bucket === credential.bucket && a.key === credential.object_key);
  const addressing = scoped ?? (input.addressings[0] as Addressing);
  const signing: OssSigningInput = { method: input.method, bucket: addressing.bucket, key: addressing.key, query: input.query, headers: input.headers };

  if (v1 !== undefined) {
    const sts = stringToSignV1(signing);
    if (!sameSignature(signV1(sts, credential.access_key_secret), v1.signature)) {
      throw new OssError('SignatureDoesNotMatch', undefined, { StringToSign: sts, StringToSignBytes: hexBytes(sts), SignatureProvided: v1.signature, OSSAccessKeyId: accessKeyId });
    }
  } else if (v4 !== undefined) {
    const payload = input.headers['x-oss-content-sha256'];
    if (payload !== undefined && payload !== 'UNSIGNED-PAYLOAD') {
      throw new OssError('InvalidArgument', 'x-oss-content-sha256 must be UNSIGNED-PAYLOAD.', { ArgumentName: 'x-oss-content-sha256', ArgumentValue: payload });
    }
    const creq = canonicalRequestV4(signing, v4.additionalHeaders);
    const sts = stringToSignV4(creq, dateText, v4);
    if (!sameSignature(signV4(credential.access_key_secret, v4, sts), v4.signature)) {
      throw new OssError('SignatureDoesNotMatch', undefined, { StringToSign: sts, CanonicalRequest: creq, SignatureProvided: v4.signature, OSSAccessKeyId: accessKeyId });
    }
  }

  if (scoped === undefined) {
    throw new OssError('AccessDenied', 'This credential may only write the one object its UploadAddress names.');
  }
  return { credential, bucket: scoped.bucket, key: scoped.key };
}
