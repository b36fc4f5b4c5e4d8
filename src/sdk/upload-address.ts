// The Base64 UploadAddress / UploadAuth pair that CreateUploadVideo and RefreshUploadVideo
// return, decoded and checked at the edge, and the ali-oss options they imply. Pure.
import { isIP } from 'node:net';
import { UploadError } from './upload.errors.js';

export interface UploadAddress { Endpoint: string; Bucket: string; FileName: string }
export interface UploadAuth {
  AccessKeyId: string; AccessKeySecret: string; SecurityToken: string;
  Expiration: string; ExpireUTCTime: string; Region: string;
}

function decodeObject(b64: string, what: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(Buffer.from(b64, 'base64').toString('utf8'));
    if (typeof v === 'object' && v !== null) return v as Record<string, unknown>;
  } catch (cause) {
    throw new UploadError('Upload.InvalidResponse', `${what} is not Base64 JSON`, { cause });
  }
  throw new UploadError('Upload.InvalidResponse', `${what} is not a JSON object`);
}

function strings<K extends string>(o: Record<string, unknown>, keys: readonly K[], what: string): Record<K, string> {
  const out = {} as Record<K, string>;
  for (const k of keys) {
    const v = o[k];
    if (typeof v !== 'string' || v === '') throw new UploadError('Upload.InvalidResponse', `${what} has no ${k}`);
    out[k] = v;
  }
  return out;
}

export const decodeUploadAddress = (b64: string): UploadAddress =>
  strings(decodeObject(b64, 'UploadAddress'), ['Endpoint', 'Bucket', 'FileName'], 'UploadAddress');

export const decodeUploadAuth = (b64: string): UploadAuth => {
  const o = decodeObject(b64, 'UploadAuth');
  // Expiration is a string of seconds in the reference; tolerate a number.
  if (typeof o.Expiration === 'number') o.Expiration = String(o.Expiration);
  return strings(o, ['AccessKeyId', 'AccessKeySecret', 'SecurityToken', 'Expiration', 'ExpireUTCTime', 'Region'], 'UploadAuth');
};

export const sameAddress = (a: UploadAddress, b: UploadAddress): boolean =>
  a.Endpoint === b.Endpoint && a.Bucket === b.Bucket && a.FileName === b.FileName;

export interface OssCredentials { accessKeyId: string; accessKeySecret: string; stsToken: string }

export const ossCredentials = (auth: UploadAuth): OssCredentials => ({
  accessKeyId: auth.AccessKeyId, accessKeySecret: auth.AccessKeySecret, stsToken: auth.SecurityToken,
});

/**
 * ali-oss options for an address, as ApsaraVideo's upload SDKs configure it: region
 * `oss-<Region>`; with a host-name endpoint (`https://vod.example.com`) `cname: true`, so the
 * bucket is not prepended to the host; an IP endpoint is used as given (ali-oss then names the
 * bucket in the Host header, which the upload endpoint understands).
 */
export function ossClientBase(address: UploadAddress, auth: UploadAuth): { endpoint: string; bucket: string; region: string; cname: boolean; secure: boolean } {
  let url: URL;
  try {
    url = new URL(address.Endpoint);
  } catch (cause) {
    throw new UploadError('Upload.InvalidResponse', `UploadAddress.Endpoint is not a URL: ${address.Endpoint}`, { cause });
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return { endpoint: address.Endpoint, bucket: address.Bucket, region: `oss-${auth.Region}`, cname: isIP(host) === 0, secure: url.protocol === 'https:' };
}
