// The object a write is aimed at, and the clean-up every multipart step shares.

import { AbortMultipartUploadCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';

export interface S3Target {
  readonly client: S3Client;
  readonly bucket: string;
  readonly objectKey: string;
}

/**
 * Aborts a multipart upload, best effort: one that can't be aborted (the server is gone) is
 * left to the bucket's lifecycle rule for incomplete multipart uploads.
 */
export async function abortUpload(target: S3Target, uploadId: string): Promise<void> {
  await target.client.send(new AbortMultipartUploadCommand({ Bucket: target.bucket, Key: target.objectKey, UploadId: uploadId })).catch(() => undefined);
}
