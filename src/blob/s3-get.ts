// get() on S3: one GetObject, with an HTTP Range for a partial read.
//
// S3 serves ranges as RFC 9110 says (blob-range.ts): the end is clamped to the last byte, and a
// first byte at or past the end is 416 InvalidRange (on an empty object, every range). The
// answer's Content-Range is checked against the range asked for, so a server that served other
// bytes fails loudly instead of handing back the wrong part of the object.

import { Readable, addAbortSignal } from 'node:stream';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { BlobAbortedError, BlobError, BlobNotFoundError, RangeNotSatisfiableError } from './blob-errors.js';
import { assertRangeShape, resolveRange } from './blob-range.js';
import type { GetOptions } from './blob-store.js';
import { actualObjectSize, isInvalidRange, isNoSuchKey, storageError } from './s3-errors.js';
import type { S3Target } from './s3-target.js';

const CONTENT_RANGE = /^bytes (\d+)-(\d+)\/(\d+|\*)$/u;

export async function getObject(target: S3Target, key: string, opts: GetOptions): Promise<Readable> {
  assertRangeShape(opts);
  const { signal } = opts;
  if (signal?.aborted === true) throw new BlobAbortedError({ cause: signal.reason });
  const ranged = opts.start !== undefined || opts.end !== undefined;
  const range = ranged ? `bytes=${opts.start ?? 0}-${opts.end ?? ''}` : undefined;

  let out: GetObjectCommandOutput;
  // The signal cancels the request until the answer arrives; then it destroys the body stream.
  const request = new AbortController();
  const onAbort = (): void => request.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    out = await target.client.send(new GetObjectCommand({ Bucket: target.bucket, Key: target.objectKey, Range: range }), { abortSignal: request.signal });
  } catch (error) {
    if (signal !== undefined && isAborted(signal)) throw new BlobAbortedError({ cause: signal.reason });
    if (isNoSuchKey(error)) throw new BlobNotFoundError(key, { cause: error });
    if (isInvalidRange(error)) throw new RangeNotSatisfiableError(`Range ${range ?? ''} of ${key} cannot be served`, actualObjectSize(error));
    throw storageError(`Reading ${key}`, error);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }

  const body = out.Body;
  if (!(body instanceof Readable)) throw storageError(`Reading ${key}`, new Error('GetObject returned no body stream'));
  try {
    if (ranged) checkServedRange(key, opts, out);
  } catch (error) {
    body.destroy();
    if (error instanceof BlobError) throw error;
    throw storageError(`Reading ${key}`, error);
  }
  if (signal === undefined) return body;
  if (isAborted(signal)) {
    body.destroy();
    throw new BlobAbortedError({ cause: signal.reason });
  }
  return addAbortSignal(signal, body);
}

/** Throws unless the answer holds exactly the bytes `opts` asks for. */
function checkServedRange(key: string, opts: GetOptions, out: GetObjectCommandOutput): void {
  const match = out.ContentRange === undefined ? null : CONTENT_RANGE.exec(out.ContentRange);
  if (match === null) {
    // No Content-Range: a 200 with the whole object, acceptable only if that is what was asked.
    const size = out.ContentLength;
    const wanted = size === undefined ? undefined : resolveRange(opts, size);
    if (size !== undefined && out.ContentRange === undefined && wanted?.start === 0 && wanted.end === size - 1) return;
    throw new Error(`the storage ignored the range (Content-Range ${String(out.ContentRange)})`);
  }
  const [, first, last, total] = match;
  const size = total === '*' ? undefined : Number(total);
  // Some servers answer an empty object's range with `bytes 0-0/0` instead of 416.
  const wanted = resolveRange(opts, size ?? Number(last) + 1);
  if (wanted === undefined) return;
  if (Number(first) !== wanted.start || Number(last) !== wanted.end) {
    throw new Error(`asked for bytes ${wanted.start}-${wanted.end} of ${key}, the storage sent ${String(out.ContentRange)}`);
  }
}

// A function, so that TypeScript doesn't keep the narrowing from the check before the request.
function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}
