// Helpers for the upload tests: decode UploadAddress/UploadAuth, make an ali-oss client from
// them exactly as a user would, send hand-signed OSS requests for the cases ali-oss cannot be
// made to send (wrong Content-MD5, skewed clock), and a large real video.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { type ClientRequest, request } from 'node:http';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import OSS from 'ali-oss';
import { signV1, stringToSignV1 } from '../../src/oss/oss-signature.js';
import { parseQuery } from '../../src/oss/oss-request.js';
import { mediaTools } from '../helpers/media-fixtures.js';

export interface Address { Endpoint: string; Bucket: string; FileName: string }
export interface Auth { AccessKeyId: string; AccessKeySecret: string; SecurityToken: string; Expiration: string; ExpireUTCTime: string; Region: string }

export const decode = <T>(b64: string): T => JSON.parse(Buffer.from(b64, 'base64').toString('utf8')) as T;

export function ossClient(address: Address, auth: Auth, opts: { endpoint?: string; v4?: boolean } = {}): OSS {
  const creds = { accessKeyId: auth.AccessKeyId, accessKeySecret: auth.AccessKeySecret, stsToken: auth.SecurityToken };
  return new OSS({
    endpoint: opts.endpoint ?? address.Endpoint,
    bucket: address.Bucket,
    region: `oss-${auth.Region}`,
    ...creds,
    // Keeps ali-oss from warning; the credential outlives every test.
    refreshSTSToken: async () => creds,
    refreshSTSTokenInterval: 3_600_000,
    authorizationV4: opts.v4 ?? false,
    timeout: 120_000,
  });
}

export const md5b64 = (b: Buffer): string => createHash('md5').update(b).digest('base64');
export const md5hex = (b: Buffer): string => createHash('md5').update(b).digest('hex');

export interface RawResponse { status: number; headers: Record<string, string | string[] | undefined>; body: string }

export interface RawOssOptions {
  endpoint: string; method: string; key: string; query?: string; body?: Buffer; auth: Auth; bucket: string;
  headers?: Record<string, string>; date?: Date; secret?: string;
}

/** A V1-signed OSS request sent with node:http (so Host and every header are ours to choose). */
export function rawOss(opts: RawOssOptions): Promise<RawResponse> {
  const { request: req, response } = startRawOss(opts);
  req.end(opts.body);
  return response;
}

/**
 * The same request with its body left to the caller: `request` is open, for writing the body in
 * pieces (`body` only sets the declared Content-Length); `response` settles once it is answered.
 */
export function startRawOss(opts: RawOssOptions): { request: ClientRequest; response: Promise<RawResponse> } {
  const url = new URL(opts.endpoint);
  const date = (opts.date ?? new Date()).toUTCString();
  const headers: Record<string, string> = {
    'x-oss-date': date, 'x-oss-security-token': opts.auth.SecurityToken, 'content-length': String(opts.body?.length ?? 0), ...opts.headers,
  };
  const lower: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) lower[k.toLowerCase()] = v;
  const path = `/${opts.key.split('/').map(encodeURIComponent).join('/')}${opts.query ? `?${opts.query}` : ''}`;
  const sts = stringToSignV1({ method: opts.method, bucket: opts.bucket, key: opts.key, query: parseQuery(opts.query ?? ''), headers: lower });
  headers.authorization = `OSS ${opts.auth.AccessKeyId}:${signV1(sts, opts.secret ?? opts.auth.AccessKeySecret)}`;
  let req!: ClientRequest;
  const response = new Promise<RawResponse>((resolve, reject) => {
    req = request({ host: url.hostname, port: url.port, method: opts.method, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
  });
  return { request: req, response };
}

export const xmlField = (xml: string, name: string): string | undefined => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];

/** A real ~36 MB H.264 video (3 s of lossless noise): big enough for a multipart upload. */
export async function makeBigVideo(dir: string): Promise<string> {
  const out = join(dir, 'noise-3s.mp4');
  if (existsSync(out)) return out;
  await promisify(execFile)(mediaTools().ffmpegPath, [
    '-nostdin', '-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', "nullsrc=s=640x480:r=25:d=3,geq=lum='random(1)*255':cb=128:cr=128",
    '-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '0', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', out,
  ], { timeout: 120_000 });
  return out;
}
