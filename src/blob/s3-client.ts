// The S3 client the S3 store uses, configured for AWS and for S3-compatible servers alike.
//
// - Credentials: the given key pair, else the SDK's default chain (environment, shared config,
//   container/instance roles …).
// - Checksums only where an operation requires one (`WHEN_REQUIRED`): since SDK 3.729 the default
//   adds CRC32 checksums (streamed as aws-chunked trailers) that many S3-compatible servers
//   (older MinIO and Ceph, OSS …) reject. Integrity comes from Content-MD5 on single-part
//   writes and from SigV4 payload hashes on plain-HTTP endpoints.
// - DeleteObjects also carries Content-MD5: S3 accepts the SDK's CRC32 instead, but several
//   S3-compatible servers still require the MD5 for that operation.

import { createHash } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';

export interface S3ClientOptions {
  endpoint?: string | undefined;
  region: string;
  accessKeyId?: string | undefined;
  secretAccessKey?: string | undefined;
  sessionToken?: string | undefined;
  forcePathStyle?: boolean | undefined;
}

export function createS3Client(opts: S3ClientOptions): S3Client {
  const { accessKeyId, secretAccessKey, sessionToken } = opts;
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new RangeError('S3 credentials need both accessKeyId and secretAccessKey (or neither, for the default credential chain)');
  }
  if (typeof opts.region !== 'string' || opts.region === '') throw new RangeError('S3 region must be a non-empty string');
  const client = new S3Client({
    region: opts.region,
    ...(opts.endpoint === undefined ? {} : { endpoint: opts.endpoint }),
    forcePathStyle: opts.forcePathStyle ?? false,
    ...(accessKeyId === undefined || secretAccessKey === undefined
      ? {}
      : { credentials: { accessKeyId, secretAccessKey, ...(sessionToken === undefined ? {} : { sessionToken }) } }),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'DeleteObjectsCommand') addContentMd5(args.request);
      return next(args);
    },
    { step: 'build', name: 'openvodDeleteObjectsContentMd5' },
  );
  return client;
}

/** Sets Content-MD5 on a serialized request whose body is a string or bytes (not a stream). */
export function addContentMd5(request: unknown): void {
  const { headers, body } = (request ?? {}) as { headers?: Record<string, string>; body?: unknown };
  if (headers === undefined || !(typeof body === 'string' || body instanceof Uint8Array)) return;
  if (Object.keys(headers).some((name) => name.toLowerCase() === 'content-md5')) return;
  headers['content-md5'] = createHash('md5').update(body).digest('base64');
}
