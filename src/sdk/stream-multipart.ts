// A multipart upload fed from a stream, in bounded memory: bytes are cut into parts of
// `partSize`; at most `parallel` parts are in flight, and while they are, the source is not read
// (backpressure), so memory stays near (parallel + 1) × partSize whatever the stream's length.
// A part is the list of the source's own chunks (a chunk that straddles two parts is shared as
// two views): no byte is copied on the way, and each attempt at a part streams the same list
// again. A stream cannot be rewound, so there is no checkpoint: a failure aborts the multipart
// upload.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type OSS from 'ali-oss';
import { sendPart } from './part-send.js';
import { UploadError, ossFailure } from './upload.errors.js';
import type { SdkLogger } from './uploader.types.js';

export interface StreamPartsOptions {
  client: OSS;
  name: string;
  source: Readable | AsyncIterable<Uint8Array>;
  partSize: number;
  parallel: number;
  declaredSize?: number;
  signal?: AbortSignal;
  onAcked(bytes: number): void;
  log?: SdkLogger;
  partAttempts?: number;
}

/** The source's chunks not yet sent, cut into parts without copying. */
class PartCutter {
  private chunks: Buffer[] = [];
  bytes = 0;
  push(chunk: Uint8Array): void {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (b.length === 0) return;
    this.chunks.push(b);
    this.bytes += b.length;
  }
  /** The first `n` bytes (all when fewer), as views of the chunks. */
  take(n: number): Part {
    const out: Buffer[] = [];
    let size = 0;
    while (size < n && this.chunks.length > 0) {
      const c = this.chunks[0] as Buffer;
      const want = n - size;
      if (c.length <= want) {
        out.push(c);
        this.chunks.shift();
        size += c.length;
      } else {
        out.push(c.subarray(0, want));
        this.chunks[0] = c.subarray(want);
        size += want;
      }
    }
    this.bytes -= size;
    return { chunks: out, size };
  }
}

interface Part { chunks: readonly Buffer[]; size: number }

export async function uploadStreamParts(o: StreamPartsOptions): Promise<{ size: number; md5: string }> {
  const init = await o.client.initMultipartUpload(o.name).catch((e: unknown) => Promise.reject(ossFailure(e, 'InitiateMultipartUpload')));
  const uploadId = init.uploadId;
  const target = { client: o.client, name: o.name, uploadId, signal: o.signal, log: o.log, attempts: o.partAttempts };
  const hash = createHash('md5');
  const pending = new PartCutter();
  const inflight = new Set<Promise<void>>();
  const done: Array<{ number: number; etag: string }> = [];
  let failure: unknown;
  let partNo = 0;
  let total = 0;
  let acked = 0;

  const onAbort = (): void => {
    if (o.source instanceof Readable) o.source.destroy(new UploadError('Upload.Aborted', 'upload aborted'));
  };
  o.signal?.addEventListener('abort', onAbort, { once: true });

  const check = (): void => {
    if (o.signal?.aborted) throw new UploadError('Upload.Aborted', 'upload aborted', { cause: o.signal.reason });
    if (failure !== undefined) throw failure;
  };
  const dispatch = async (part: Part): Promise<void> => {
    while (inflight.size >= o.parallel) await Promise.race(inflight);
    check();
    const n = ++partNo;
    const p: Promise<void> = sendPart(target, n, part.size, () => Readable.from(part.chunks, { objectMode: false })).then(
      (etag) => {
        done.push({ number: n, etag });
        acked += part.size;
        o.onAcked(acked);
      },
      (e: unknown) => {
        failure ??= e;
      },
    ).finally(() => inflight.delete(p));
    inflight.add(p);
  };

  try {
    try {
      for await (const chunk of o.source) {
        check();
        hash.update(chunk);
        total += chunk.byteLength;
        if (o.declaredSize !== undefined && total > o.declaredSize) {
          throw new UploadError('Upload.SizeMismatch', `the stream is longer than the declared ${o.declaredSize} bytes`);
        }
        pending.push(chunk);
        while (pending.bytes >= o.partSize) await dispatch(pending.take(o.partSize));
      }
    } catch (e) {
      if (e instanceof UploadError) throw e;
      if (o.signal?.aborted) throw new UploadError('Upload.Aborted', 'upload aborted', { cause: o.signal.reason });
      throw new UploadError('Upload.SourceFailed', `reading the source failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    if (total === 0) throw new UploadError('Upload.InvalidSource', 'the stream is empty');
    if (o.declaredSize !== undefined && total !== o.declaredSize) {
      throw new UploadError('Upload.SizeMismatch', `the stream ended after ${total} of the declared ${o.declaredSize} bytes`);
    }
    if (pending.bytes > 0) await dispatch(pending.take(pending.bytes));
    await Promise.all(inflight);
    check();
    done.sort((a, b) => a.number - b.number);
    await o.client.completeMultipartUpload(o.name, uploadId, done).catch((e: unknown) => Promise.reject(ossFailure(e, 'CompleteMultipartUpload')));
    return { size: total, md5: hash.digest('hex') };
  } catch (e) {
    // On abort, parts awaiting their answer are not waited for (ali-oss cannot cancel them).
    if (!o.signal?.aborted) await Promise.allSettled(inflight);
    const abortUpload = o.client.abortMultipartUpload(o.name, uploadId).catch(() => undefined);
    if (!o.signal?.aborted) await abortUpload;
    throw e;
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
  }
}
