// Attaches the MD5 to an object just written by a streamed multipart upload, whose metadata had
// to be fixed before the MD5 was known: a server-side copy of the object onto itself with new
// metadata. It is a multipart copy (UploadPartCopy, up to 5 GiB per part; a plain CopyObject
// stops at 5 GiB), so it works for any size, and every part is copied with
// `x-amz-copy-source-if-match: <the ETag we wrote>`:
//
// > x-amz-copy-source-if-match: Copies the object if its entity tag (ETag) matches the specified
// > tag. (S3 API reference, UploadPartCopy) — otherwise 412 Precondition Failed.
//
// So if another writer replaced the object meanwhile, its version is never overwritten with our
// bytes or our MD5: the copy is abandoned and the newer object stays as it is. Readers may see
// the object with its raw multipart ETag between the upload and the copy; the content is the
// same on both sides of the copy.

import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, UploadPartCopyCommand } from '@aws-sdk/client-s3';
import type { CompletedPart } from '@aws-sdk/client-s3';
import { copySource } from './s3-keys.js';
import { isNoSuchKey, isPreconditionFailed } from './s3-errors.js';
import { objectMetadata } from './s3-object-info.js';
import { abortUpload } from './s3-target.js';
import type { S3Target } from './s3-target.js';

/** S3's limits: at most 10,000 parts, each at most 5 GiB. */
const MAX_PARTS = 10_000;
const MAX_COPY_PART_BYTES = 5 * 1024 ** 3;

export interface AttachSpec {
  readonly size: number;
  /** The S3 ETag of the object written, as S3 sent it. */
  readonly etag: string;
  readonly md5Hex: string;
  readonly contentType: string | undefined;
  readonly copyPartSizeBytes: number;
  readonly queueSize: number;
}

/** Resolves with the S3 ETag of the copy, or undefined when a newer write got there first. */
export async function attachMd5(target: S3Target, spec: AttachSpec): Promise<string | undefined> {
  const { client, bucket, objectKey } = target;
  const created = await client.send(
    new CreateMultipartUploadCommand({ Bucket: bucket, Key: objectKey, ContentType: spec.contentType, Metadata: objectMetadata(spec.md5Hex, spec.contentType) }),
  );
  const uploadId = created.UploadId;
  if (uploadId === undefined) throw new Error('CreateMultipartUpload returned no UploadId');
  try {
    const ranges = copyRanges(spec.size, spec.copyPartSizeBytes);
    const parts = await runLimited(ranges, spec.queueSize, async ({ start, end }, index): Promise<CompletedPart> => {
      const out = await client.send(
        new UploadPartCopyCommand({
          Bucket: bucket,
          Key: objectKey,
          UploadId: uploadId,
          PartNumber: index + 1,
          CopySource: copySource(bucket, objectKey),
          CopySourceRange: `bytes=${start}-${end}`,
          CopySourceIfMatch: spec.etag,
        }),
      );
      const etag = out.CopyPartResult?.ETag;
      if (etag === undefined) throw new Error(`UploadPartCopy returned no ETag for part ${index + 1}`);
      return { PartNumber: index + 1, ETag: etag };
    });
    const done = await client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: objectKey, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
    return done.ETag;
  } catch (error) {
    await abortUpload(target, uploadId);
    if (isPreconditionFailed(error) || isNoSuchKey(error)) return undefined; // replaced or deleted meanwhile
    throw error;
  }
}

/** Inclusive byte ranges of the copy parts. */
export function copyRanges(size: number, partBytes: number): { start: number; end: number }[] {
  const step = Math.min(MAX_COPY_PART_BYTES, Math.max(partBytes, Math.ceil(size / MAX_PARTS)));
  const ranges = [];
  for (let start = 0; start < size; start += step) ranges.push({ start, end: Math.min(start + step, size) - 1 });
  return ranges;
}

/** Maps `items` with at most `limit` calls in flight; stops starting new ones after a failure. */
async function runLimited<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index] as T, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure.error;
  return results;
}
