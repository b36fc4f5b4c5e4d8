// One part of a multipart upload, sent with ali-oss's public uploadPart and retried on a
// network error, 408, 429 or 5xx. A body is a stream, which cannot be sent twice, so every
// attempt asks `body()` for a fresh one.
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type OSS from 'ali-oss';
import { UploadError, ossFailure } from './upload.errors.js';
import type { SdkLogger } from './uploader.types.js';

export interface PartTarget {
  client: OSS;
  name: string;
  uploadId: string;
  signal?: AbortSignal | undefined;
  log?: SdkLogger | undefined;
  /** Attempts per part (default 3). */
  attempts?: number | undefined;
}

const retryable = (e: UploadError): boolean => e.httpStatus === undefined || e.httpStatus <= 0 || e.httpStatus >= 500 || e.httpStatus === 408 || e.httpStatus === 429;

/** Sends part `n` (`size` bytes); resolves with its ETag. */
export async function sendPart(t: PartTarget, n: number, size: number, body: () => Readable): Promise<string> {
  const attempts = t.attempts ?? 3;
  for (let attempt = 1; ; attempt++) {
    try {
      // ali-oss sends a readable stream as it is (Content-Length = end - start).
      const r = await t.client.uploadPart(t.name, t.uploadId, n, body(), 0, size);
      const etag = r.etag || (r.res.headers as Record<string, string | undefined>).etag;
      if (!etag) throw new UploadError('Upload.TransferFailed', `part ${n}: no ETag in the answer`);
      return etag;
    } catch (e) {
      const err = ossFailure(e, `part ${n}`);
      if (attempt >= attempts || !retryable(err) || t.signal?.aborted) throw err;
      t.log?.warn({ part: n, attempt, code: err.ossCode ?? err.code }, 'part failed; retrying');
      await sleep(250 * 2 ** attempt);
    }
  }
}
