// UploadAddress and UploadAuth (reference §3): Base64 of JSON, as ApsaraVideo returns them.
//   UploadAddress = {Endpoint, Bucket, FileName}     — where the bytes go (our upload endpoint)
//   UploadAuth    = {AccessKeyId, AccessKeySecret, SecurityToken, Expiration, ExpireUTCTime, Region}
// The credential is ours (not real STS): it is stored in the metadata store, scoped to exactly
// one bucket + object key, and expires after `upload.credentialTtlS`.
import { randomBytes } from 'node:crypto';
import { isoSeconds } from '../domain/time.js';
import type { UploadCredentialTable } from '../store/schema.js';

export interface UploadAddress {
  Endpoint: string;
  Bucket: string;
  FileName: string;
}

export interface UploadAuth {
  AccessKeyId: string;
  AccessKeySecret: string;
  SecurityToken: string;
  /** Validity in seconds, as a string (ApsaraVideo: "3000"). */
  Expiration: string;
  ExpireUTCTime: string;
  Region: string;
}

const alnum = (bytes: number, length: number): string => randomBytes(bytes).toString('base64url').replace(/[-_]/g, 'x').slice(0, length);

/** A new credential row for one object. */
export function newCredential(input: { bucket: string; objectKey: string; nowMs: number; ttlS: number }): UploadCredentialTable {
  return {
    access_key_id: `STS.${alnum(24, 28)}`,
    access_key_secret: alnum(36, 44),
    // Real STS tokens start with "CAIS" and run to several hundred characters.
    security_token: `CAIS${randomBytes(96).toString('base64')}`,
    bucket: input.bucket,
    object_key: input.objectKey,
    expires_at_ms: input.nowMs + input.ttlS * 1000,
    created_at_ms: input.nowMs,
  };
}

const b64json = (value: object): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64');

export function encodeUploadAddress(endpoint: string, bucket: string, objectKey: string): string {
  const address: UploadAddress = { Endpoint: endpoint, Bucket: bucket, FileName: objectKey };
  return b64json(address);
}

export function encodeUploadAuth(cred: UploadCredentialTable, ttlS: number, region: string): string {
  const auth: UploadAuth = {
    AccessKeyId: cred.access_key_id,
    AccessKeySecret: cred.access_key_secret,
    SecurityToken: cred.security_token,
    Expiration: String(ttlS),
    ExpireUTCTime: isoSeconds(cred.expires_at_ms),
    Region: region,
  };
  return b64json(auth);
}

/** Object keys as ApsaraVideo shapes them: `sv/<random>/<videoId>.<ext>`, `image/<type>/<imageId>.<ext>`. */
export const videoObjectKey = (videoId: string, ext: string): string => `sv/${randomBytes(4).toString('hex')}-${Date.now().toString(16)}/${videoId}.${ext}`;
export const imageObjectKey = (imageType: string, imageId: string, ext: string): string => `image/${imageType}/${imageId}.${ext}`;
/** Where the bytes of an uploaded object live in the blob store (under the media's prefix). */
export const videoBlobKey = (videoId: string, ext: string): string => `${videoId}/source.${ext}`;
export const imageBlobKey = (imageId: string, ext: string): string => `${imageId}/image.${ext}`;
/** A part's bytes: unique per attempt, so a re-upload never clobbers the blob a row points to. */
export const partBlobKey = (mediaId: string, uploadId: string, partNumber: number): string =>
  `${mediaId}/multipart/${uploadId}/${partNumber}-${randomBytes(4).toString('hex')}`;
export const uploadBlobPrefix = (mediaId: string, uploadId: string): string => `${mediaId}/multipart/${uploadId}/`;
