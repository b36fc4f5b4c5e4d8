// Writes one object to S3 from a metered body, with bounded memory.
//
// The first `partSizeBytes` (+1) bytes are buffered. A body that ends within them is stored with
// one PutObject carrying Content-MD5 (S3 verifies it) and the MD5 in its metadata. A longer body
// goes through lib-storage's Upload as a multipart upload (at most `queueSize` parts in flight,
// each `partSizeBytes`): the object appears only at CompleteMultipartUpload, whole, replacing any
// previous one atomically. S3 fixes metadata when a multipart upload starts, before the MD5 of a
// streamed body is known, so unless the caller knew it up front (putFile) the MD5 is attached
// afterwards by a server-side copy of the object onto itself (s3-attach-md5.ts) — or, when the
// caller wants none (putFile's skipMd5), not at all: the object keeps its multipart S3 ETag.
//
// Cancellation: the signal stops reading the body (meterBody) and aborts part uploads in flight;
// any multipart upload started is then aborted (AbortMultipartUpload), so nothing is left. The
// commit requests — the single PutObject, CompleteMultipartUpload and the MD5 copy — are not
// interrupted once sent: a put past that point finishes (close() waits for it).

import { Readable } from 'node:stream';
import { PutObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { MeteredBody } from './blob-body.js';
import { BlobAbortedError } from './blob-errors.js';
import { attachMd5 } from './s3-attach-md5.js';
import { objectMetadata, unquoteEtag } from './s3-object-info.js';
import { abortUpload } from './s3-target.js';
import type { S3Target } from './s3-target.js';

export interface WriteSpec {
  readonly contentType: string | undefined;
  /** The body's MD5 when known before the first byte (putFile): stored at creation, no copy. */
  readonly knownMd5Hex: string | undefined;
  /**
   * No MD5 wanted (putFile's skipMd5; knownMd5Hex unset): a multipart object gets none — no
   * copy — and its S3 ETag is its etag. A single PutObject still keeps the MD5 it sends anyway.
   */
  readonly skipMd5: boolean;
  readonly partSizeBytes: number;
  readonly queueSize: number;
  readonly copyPartSizeBytes: number;
  readonly signal: AbortSignal;
  /** Runs once the body has ended, before anything becomes visible; throws to refuse the body. */
  readonly beforeCommit: () => void;
}

export interface WriteResult {
  /**
   * The S3 ETag (as S3 sent it, quoted) of the version this write left, or undefined when a
   * newer write replaced it before its MD5 could be attached.
   */
  readonly etag: string | undefined;
  /**
   * What stat() reports as the object's etag: the body's MD5 — except after a multipart write
   * with skipMd5, whose metadata holds none: its unquoted S3 ETag then.
   */
  readonly blobEtag: string;
}

export async function writeObject(target: S3Target, meter: MeteredBody, spec: WriteSpec): Promise<WriteResult> {
  const iterator = meter.chunks;
  const head = await takeUpTo(iterator, spec.partSizeBytes);
  if (head.done) {
    spec.beforeCommit();
    throwIfAborted(spec.signal);
    return putWhole(target, Buffer.concat(head.chunks), meter.md5Hex(), spec.contentType);
  }
  const etag = await putMultipart(target, continueBody(head.chunks, iterator, spec.beforeCommit), spec);
  if (spec.knownMd5Hex !== undefined) return { etag, blobEtag: meter.md5Hex() };
  if (spec.skipMd5) return { etag, blobEtag: unquoteEtag(etag) };
  const md5Hex = meter.md5Hex();
  const attached = await attachMd5(target, { size: meter.size, etag, md5Hex, contentType: spec.contentType, copyPartSizeBytes: spec.copyPartSizeBytes, queueSize: spec.queueSize });
  return { etag: attached, blobEtag: md5Hex };
}

async function putWhole(target: S3Target, data: Buffer, md5Hex: string, contentType: string | undefined): Promise<WriteResult> {
  const out = await target.client.send(
    new PutObjectCommand({
      Bucket: target.bucket,
      Key: target.objectKey,
      Body: data,
      ContentLength: data.byteLength,
      ContentMD5: Buffer.from(md5Hex, 'hex').toString('base64'),
      ContentType: contentType,
      Metadata: objectMetadata(md5Hex, contentType),
    }),
  );
  return { etag: out.ETag, blobEtag: md5Hex };
}

/** Runs the multipart upload; resolves with the new object's S3 ETag. */
async function putMultipart(target: S3Target, chunks: AsyncGenerator<Uint8Array>, spec: WriteSpec): Promise<string> {
  const body = Readable.from(chunks);
  const upload = new Upload({
    client: withPartSignal(target.client, spec.signal),
    params: {
      Bucket: target.bucket,
      Key: target.objectKey,
      Body: body,
      ContentType: spec.contentType,
      Metadata: objectMetadata(spec.knownMd5Hex, spec.contentType),
    },
    partSize: spec.partSizeBytes,
    queueSize: spec.queueSize,
    // We abort the upload ourselves, so that a failing abort can't hide why the upload failed.
    leavePartsOnError: true,
  });
  try {
    const out = await upload.done();
    if (out.ETag === undefined || unquoteEtag(out.ETag) === '') throw new Error('CompleteMultipartUpload returned no ETag');
    return out.ETag;
  } catch (error) {
    body.destroy();
    if (upload.uploadId !== undefined) await abortUpload(target, upload.uploadId);
    throw error;
  }
}

/**
 * The client, with `signal` on every UploadPart request. Upload sends its requests without
 * one; the others (create, complete, abort) must run to the end so that no upload is orphaned.
 */
function withPartSignal(client: S3Client, signal: AbortSignal): S3Client {
  type Send = (command: unknown, options?: { abortSignal?: AbortSignal }) => Promise<unknown>;
  const send = client.send.bind(client) as unknown as Send;
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property !== 'send') return Reflect.get(target, property, receiver) as unknown;
      const signalled: Send = (command, options) => send(command, command instanceof UploadPartCommand ? { ...options, abortSignal: signal } : options);
      return signalled;
    },
  });
}

interface Head {
  chunks: Uint8Array[];
  done: boolean;
}

/** Reads until more than `limit` bytes are buffered, or the body ends. */
async function takeUpTo(iterator: AsyncIterator<Uint8Array>, limit: number): Promise<Head> {
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  while (bytes <= limit) {
    const step = await iterator.next();
    if (step.done === true) return { chunks, done: true };
    chunks.push(step.value);
    bytes += step.value.byteLength;
  }
  return { chunks, done: false };
}

/** The buffered chunks, then the rest of the body, then the pre-commit check. */
async function* continueBody(first: Uint8Array[], iterator: AsyncIterator<Uint8Array>, beforeCommit: () => void): AsyncGenerator<Uint8Array> {
  for (let chunk = first.shift(); chunk !== undefined; chunk = first.shift()) yield chunk;
  for (;;) {
    const step = await iterator.next();
    if (step.done === true) break;
    yield step.value;
  }
  beforeCommit();
}

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new BlobAbortedError({ cause: signal.reason });
}
