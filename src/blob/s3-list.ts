// Listing and bulk deletion on S3: ListObjectsV2 pages (up to 1000 keys each, in ascending UTF-8
// byte order of the key, as S3 lists) and DeleteObjects for up to 1000 keys per request.

import { DeleteObjectsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { S3Client, _Object } from '@aws-sdk/client-s3';
import { BlobStorageError } from './blob-errors.js';
import { storageError } from './s3-errors.js';

export interface S3Bucket {
  readonly client: S3Client;
  readonly bucket: string;
}

/** "DeleteObjects … can contain a list of up to 1,000 keys" (S3 API reference). */
const MAX_DELETE_KEYS = 1000;

/** Every object whose key starts with `objectPrefix`, page by page. */
export async function* listPages(target: S3Bucket, objectPrefix: string): AsyncGenerator<_Object[]> {
  let token: string | undefined;
  do {
    let page;
    try {
      page = await target.client.send(new ListObjectsV2Command({ Bucket: target.bucket, Prefix: objectPrefix === '' ? undefined : objectPrefix, ContinuationToken: token }));
    } catch (error) {
      throw storageError(`Listing ${JSON.stringify(objectPrefix)}`, error);
    }
    yield page.Contents ?? [];
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
}

/** Deletes every object under `objectPrefix` (all of them: also keys no blob key can name). */
export async function deleteAll(target: S3Bucket, objectPrefix: string): Promise<void> {
  for await (const page of listPages(target, objectPrefix)) {
    const keys = page.flatMap((object) => (object.Key === undefined ? [] : [object.Key]));
    for (let i = 0; i < keys.length; i += MAX_DELETE_KEYS) await deleteBatch(target, keys.slice(i, i + MAX_DELETE_KEYS));
  }
}

async function deleteBatch(target: S3Bucket, keys: string[]): Promise<void> {
  if (keys.length === 0) return;
  let out;
  try {
    out = await target.client.send(new DeleteObjectsCommand({ Bucket: target.bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }));
  } catch (error) {
    throw storageError(`Deleting ${keys.length} objects`, error);
  }
  // A key already gone is what we wanted.
  const failed = (out.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
  const first = failed[0];
  if (first !== undefined) {
    throw new BlobStorageError(`Deleting ${failed.length} of ${keys.length} objects failed, e.g. ${JSON.stringify(first.Key)}: ${first.Code ?? '?'} ${first.Message ?? ''}`.trim(), { cause: failed });
  }
}
