// A local file, uploaded in parts (ali-oss's uploadPart) with a checkpoint persisted after every
// part. A later call for the same file (same path, size and mtime) continues the same VideoId,
// address and uploadId: it asks RefreshUploadVideo for a fresh credential, asks the endpoint
// which parts it already holds (ListParts, so a part finished just before a kill is not sent
// again), and sends only the others.
import { type FileHandle, open } from 'node:fs/promises';
import type OSS from 'ali-oss';
import type { CheckpointStore, FileCheckpoint, MultipartState } from './checkpoint-store.js';
import { PartReader } from './part-reader.js';
import { sendPart } from './part-send.js';
import { ossFailure, UploadError } from './upload.errors.js';
import type { SdkLogger } from './uploader.types.js';

export interface FileTransfer {
  client: OSS;
  path: string;
  size: number;
  partSize: number;
  parallel: number;
  checkpoint: FileCheckpoint;
  store: CheckpointStore | undefined;
  signal?: AbortSignal;
  onAcked(bytes: number): void;
  log?: SdkLogger;
}

/** Bytes of part `n` (1-based) of a file cut into `partSize` parts. */
export const partBytes = (fileSize: number, partSize: number, n: number): number =>
  Math.max(0, Math.min(partSize, fileSize - (n - 1) * partSize));

export const ackedBytes = (m: MultipartState): number =>
  m.doneParts.reduce((sum, p) => sum + partBytes(m.fileSize, m.partSize, p.number), 0);

interface ListedPart { PartNumber?: unknown; ETag?: unknown; Size?: unknown; size?: unknown }

/**
 * Adds to `m.doneParts` the parts the endpoint already holds with the expected size. Returns
 * false when the endpoint no longer knows the upload (NoSuchUpload: completed or aborted).
 */
export async function reconcileParts(client: OSS, m: MultipartState): Promise<boolean> {
  const known = new Set(m.doneParts.map((p) => p.number));
  let marker = 0;
  for (;;) {
    let r: OSS.ListPartsResult;
    try {
      r = await client.listParts(m.name, m.uploadId, { 'max-parts': 1000, 'part-number-marker': marker } as OSS.ListPartsQuery);
    } catch (e) {
      if ((e as { code?: unknown }).code === 'NoSuchUpload') return false;
      throw ossFailure(e, 'ListParts');
    }
    for (const p of (r.parts ?? []) as ListedPart[]) {
      const n = Number(p.PartNumber);
      const size = Number(p.Size ?? p.size);
      if (!Number.isInteger(n) || known.has(n) || typeof p.ETag !== 'string') continue;
      if (size !== partBytes(m.fileSize, m.partSize, n)) continue; // a stray part of another size is sent again
      m.doneParts.push({ number: n, etag: p.ETag });
      known.add(n);
    }
    if (!r.isTruncated) return true;
    const next = Number(r.nextPartNumberMarker);
    if (!Number.isFinite(next) || next <= marker) return true;
    marker = next;
  }
}

/**
 * Each sending lane reads its parts into one buffer of the part size, reused part after part
 * (part-reader.ts), when the part size is at most this: `parallel` × 32 MiB at worst.
 */
const LANE_BUFFER_MAX_BYTES = 32 * 1024 * 1024;
/** OSS allows 10,000 parts: a larger file gets larger parts (as ali-oss's multipartUpload does). */
const MAX_PARTS = 10_000;
/** Below this a file goes in one PutObject, as ali-oss's multipartUpload sends it. */
const MIN_MULTIPART_BYTES = 100 * 1024;

export const filePartSize = (fileSize: number, partSize: number): number => Math.max(partSize, Math.ceil(fileSize / MAX_PARTS));

/**
 * Sends the file: one PutObject when it is small, else the parts the checkpoint does not hold yet
 * (a multipart upload is started, and checkpointed, first), `parallel` at a time, then
 * CompleteMultipartUpload. The checkpoint is saved after every acknowledged part. Each part is
 * read from the file in 1 MiB reads into its lane's reused buffer (part-reader.ts) and sent with
 * ali-oss's `uploadPart`; ali-oss's own `multipartUpload` reads 64 KiB at a time into fresh
 * buffers, which cost the uploader a fifth of its CPU in page faults (bench/upload --quick:
 * 136–138 → 166–170 MiB/s with 1 MiB reads; fresh 1 MiB buffers still cost more system time than
 * the reads themselves, hence the reuse). On abort nothing is waited for: the part bodies being
 * read are destroyed (their requests fail), and a part already sent and awaiting its answer is
 * found by ListParts on the next run. A failed part (after its retries) fails the upload with the
 * checkpoint kept, so a later call resumes.
 */
export async function transferFile(t: FileTransfer): Promise<void> {
  const cp = t.checkpoint;
  const abortError = (): UploadError => new UploadError('Upload.Aborted', 'upload aborted; run it again to resume', { cause: t.signal?.reason });
  if (t.signal?.aborted) throw abortError();
  const name = cp.address.FileName;
  if (cp.multipart === undefined && t.size < MIN_MULTIPART_BYTES) {
    await t.client.put(name, t.path).catch((e: unknown) => Promise.reject(t.signal?.aborted ? abortError() : ossFailure(e, 'PutObject')));
    return;
  }
  if (cp.multipart === undefined) {
    const init = await t.client.initMultipartUpload(name).catch((e: unknown) => Promise.reject(ossFailure(e, 'InitiateMultipartUpload')));
    cp.multipart = { name, fileSize: t.size, partSize: filePartSize(t.size, t.partSize), uploadId: init.uploadId, doneParts: [] };
    await t.store?.save(cp);
  }
  const m = cp.multipart;
  const target = { client: t.client, name: m.name, uploadId: m.uploadId, signal: t.signal, log: t.log };
  const done = new Set(m.doneParts.map((p) => p.number));
  const todo: number[] = [];
  for (let n = 1; (n - 1) * m.partSize < m.fileSize; n++) if (!done.has(n)) todo.push(n);

  let file: FileHandle;
  try {
    file = await open(t.path, 'r');
  } catch (e) {
    throw new UploadError('Upload.InvalidSource', `cannot read ${t.path}: ${(e as Error).message}`, { cause: e });
  }
  const reading = new Set<PartReader>();
  let failure: unknown;
  let wake = (): void => undefined;
  const abortedWait = new Promise<void>((resolve) => (wake = resolve));
  const onAbort = (): void => {
    failure ??= abortError();
    for (const r of reading) r.destroy();
    wake();
  };
  t.signal?.addEventListener('abort', onAbort, { once: true });
  // An abort during the awaits above (InitiateMultipartUpload, the checkpoint, opening the file)
  // fired no event this listener could hear.
  if (t.signal?.aborted) onAbort();
  /** A fresh stream of part n's bytes for each attempt; every one is destroyed when the part settles. */
  const partBody = (n: number, size: number, lane: Buffer | undefined, opened: PartReader[]) => (): PartReader => {
    const r = new PartReader(file, (n - 1) * m.partSize, size, lane);
    opened.push(r);
    reading.add(r);
    r.once('close', () => reading.delete(r));
    return r;
  };
  const worker = async (): Promise<void> => {
    const lane = m.partSize <= LANE_BUFFER_MAX_BYTES ? Buffer.allocUnsafe(m.partSize) : undefined;
    for (let n = todo.shift(); n !== undefined && failure === undefined; n = todo.shift()) {
      const opened: PartReader[] = [];
      const size = partBytes(m.fileSize, m.partSize, n);
      try {
        const etag = await sendPart(target, n, size, partBody(n, size, lane, opened));
        if (failure !== undefined) return;
        m.doneParts.push({ number: n, etag });
        await t.store?.save(cp);
        t.onAcked(ackedBytes(m));
      } catch (e) {
        failure ??= e;
      } finally {
        for (const r of opened) r.destroy();
      }
    }
  };
  try {
    const workers = Promise.all(Array.from({ length: Math.max(1, Math.min(t.parallel, todo.length)) }, worker));
    // On abort the parts in flight are not waited for: their answers cannot be called back.
    await Promise.race([workers, abortedWait]);
    if (t.signal?.aborted) throw abortError();
    if (failure !== undefined) throw failure instanceof UploadError ? failure : ossFailure(failure, 'multipart upload');
    const parts = [...m.doneParts].sort((a, b) => a.number - b.number);
    await t.client.completeMultipartUpload(m.name, m.uploadId, parts).catch((e: unknown) => Promise.reject(ossFailure(e, 'CompleteMultipartUpload')));
  } finally {
    t.signal?.removeEventListener('abort', onAbort);
    // After an abort, reads still running finish first (FileHandle.close waits for them).
    file.close().catch(() => undefined);
  }
}
