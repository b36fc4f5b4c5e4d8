// `s3://<bucket>/<prefix>`: objects in an S3-compatible bucket (AWS S3, OSS's S3 interface,
// MinIO, Ceph …). Listed with ListObjectsV2 (keys come in UTF-8 binary order, so listings are
// stable); the prefix is used as given, as S3 does (`s3://b/videos/` for a folder).
// pull: a GET presigned at call time; register: the object's name in a target storage;
// push: GetObject streamed.
import { Readable } from 'node:stream';
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import { MigrateUsageError } from '../migrate.errors.js';
import type { MigrationSource, PushBody, SourceItem } from '../source.js';
import { SourceItemError } from './source.errors.js';
import { type ItemFilter, passesFilter } from './source-filter.js';
import type { SourceOptions } from './source-options.js';
import { clampPresignExpiry, defaultForcePathStyle, fileNameOfKey, isPlaceholderKey, md5FromEtag, registerUrlFor } from './s3-object.js';

export interface S3SourceConfig {
  readonly bucket: string;
  readonly prefix: string;
  readonly filter: ItemFilter;
  readonly options: Pick<SourceOptions, 's3Endpoint' | 's3Region' | 's3AccessKeyId' | 's3SecretAccessKey' | 's3ForcePathStyle'>;
  /** ListObjectsV2 MaxKeys (1–1000; default 1000). Tests lower it to exercise paging. */
  readonly pageSize?: number | undefined;
}

/** The AWS SDK, loaded on first use: it costs ≈ 24 MiB of memory, which only an S3 source needs. */
async function loadSdk() {
  const [s3, presigner] = await Promise.all([import('@aws-sdk/client-s3'), import('@aws-sdk/s3-request-presigner')]);
  return { s3, getSignedUrl: presigner.getSignedUrl };
}

export function createS3Source(spec: string, config: S3SourceConfig): MigrationSource {
  const { bucket, prefix, filter, options } = config;
  let loaded: Promise<{ sdk: Awaited<ReturnType<typeof loadSdk>>; client: S3Client }> | undefined;
  const sdk = () => (loaded ??= loadSdk().then((sdk) => ({ sdk, client: new sdk.s3.S3Client(clientConfig(options)) })));
  let closed = false;

  return {
    kind: 's3',
    spec,
    defaultMethod: 'pull',
    methods: ['pull', 'push', 'register'],
    async *list(signal?: AbortSignal): AsyncGenerator<SourceItem> {
      let token: string | undefined;
      do {
        if (signal?.aborted) return;
        let page;
        try {
          const { sdk: { s3 }, client } = await sdk();
          page = await client.send(
            new s3.ListObjectsV2Command({ Bucket: bucket, Prefix: prefix === '' ? undefined : prefix, ContinuationToken: token, MaxKeys: config.pageSize }),
            { abortSignal: signal },
          );
        } catch (err) {
          if (signal?.aborted) return;
          throw listingError(bucket, err);
        }
        for (const obj of page.Contents ?? []) {
          if (signal?.aborted) return;
          const key = obj.Key;
          if (key === undefined || isPlaceholderKey(key)) continue;
          const size = obj.Size ?? 0;
          const modified = obj.LastModified;
          if (!passesFilter(filter, { name: key, size, modifiedMs: modified?.getTime() ?? 0 })) continue;
          yield { id: key, fileName: fileNameOfKey(key), size, md5: md5FromEtag(obj.ETag), lastModified: modified?.toISOString(), extra: {} };
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    },
    async sourceUrl(item, { expiresInS }) {
      const { sdk: { s3, getSignedUrl }, client } = await sdk();
      return getSignedUrl(client, new s3.GetObjectCommand({ Bucket: bucket, Key: item.id }), { expiresIn: clampPresignExpiry(expiresInS) });
    },
    registerUrl(item, { storageLocation }) {
      return registerUrlFor({ bucket, key: item.id, storageLocation, endpoint: options.s3Endpoint });
    },
    async open(item: SourceItem, signal?: AbortSignal): Promise<PushBody> {
      let res;
      try {
        const { sdk: { s3 }, client } = await sdk();
        res = await client.send(new s3.GetObjectCommand({ Bucket: bucket, Key: item.id }), { abortSignal: signal });
      } catch (err) {
        if (signal?.aborted) throw err;
        throw itemError(bucket, item.id, err);
      }
      const body = res.Body;
      if (!(body instanceof Readable)) throw new SourceItemError('Source.Failed', `s3://${bucket}/${item.id}: GetObject returned no readable body.`);
      return { stream: body, size: res.ContentLength ?? item.size };
    },
    async close() {
      if (closed) return;
      closed = true;
      if (loaded) (await loaded.catch(() => undefined))?.client.destroy();
    },
  };
}

function clientConfig(o: S3SourceConfig['options']): S3ClientConfig {
  return {
    endpoint: o.s3Endpoint,
    // With an endpoint of one's own, the region is only a signing label; without, the SDK's
    // chain (AWS_REGION, profile) decides.
    region: o.s3Region ?? (o.s3Endpoint !== undefined ? 'us-east-1' : undefined),
    credentials: o.s3AccessKeyId !== undefined && o.s3SecretAccessKey !== undefined ? { accessKeyId: o.s3AccessKeyId, secretAccessKey: o.s3SecretAccessKey } : undefined,
    forcePathStyle: o.s3ForcePathStyle ?? defaultForcePathStyle(o.s3Endpoint),
    // Third-party S3 interfaces (OSS, older MinIO/Ceph) do not know the SDK's default CRC checksums.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
}

interface S3Failure {
  name?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

const failure = (err: unknown): { name: string; status: number | undefined; message: string } => {
  const e = (err ?? {}) as S3Failure;
  return { name: e.Code ?? e.name ?? 'Error', status: e.$metadata?.httpStatusCode, message: e.message ?? String(err) };
};

/** Listing failures the user must fix (wrong bucket, keys, permissions) are usage errors. */
function listingError(bucket: string, err: unknown): Error {
  const f = failure(err);
  const fix: Record<string, string> = {
    NoSuchBucket: `the bucket "${bucket}" does not exist at this endpoint`,
    InvalidAccessKeyId: 'the access key is not known to the S3 endpoint',
    SignatureDoesNotMatch: 'the S3 secret key does not match the access key',
    AccessDenied: `listing the bucket "${bucket}" is not allowed with these credentials`,
    PermanentRedirect: `the bucket "${bucket}" lives in another region; give its region`,
    AuthorizationHeaderMalformed: 'the region does not match the bucket\'s; give its region',
  };
  const why = fix[f.name] ?? (f.status === 403 ? `listing the bucket "${bucket}" is not allowed with these credentials` : undefined);
  if (why !== undefined) return new MigrateUsageError(`s3://${bucket}: ${why} (${f.name}).`, { cause: err });
  return err instanceof Error ? err : new Error(String(err));
}

function itemError(bucket: string, key: string, err: unknown): SourceItemError {
  const f = failure(err);
  const where = `s3://${bucket}/${key}`;
  if (f.name === 'NoSuchKey' || f.name === 'NotFound' || f.status === 404) return new SourceItemError('Source.NotFound', `${where} no longer exists.`, { cause: err });
  if (f.name === 'AccessDenied' || f.status === 403) return new SourceItemError('Source.AccessDenied', `${where}: access denied (${f.name}).`, { cause: err });
  return new SourceItemError('Source.Failed', `${where}: ${f.name}: ${f.message}`, { cause: err });
}
