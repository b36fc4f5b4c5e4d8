// A local file, uploaded with ali-oss's multipartUpload and a checkpoint persisted after every
// part. A later call for the same file (same path, size and mtime) continues the same VideoId,
// address and uploadId: it asks RefreshUploadVideo for a fresh credential, asks the endpoint
// which parts it already holds (ListParts, so a part finished just before a kill is not sent
// again), and sends only the others.
import type OSS from 'ali-oss';
import type { CheckpointStore, FileCheckpoint, MultipartState } from './checkpoint-store.js';
import { isOssCancel, ossFailure, UploadError } from './upload.errors.js';
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

export async function transferFile(t: FileTransfer): Promise<void> {
  const cp = t.checkpoint;
  if (t.signal?.aborted) throw new UploadError('Upload.Aborted', 'upload aborted', { cause: t.signal.reason });
  // ali-oss's cancel() stops further parts and destroys file streams still being read, but a part
  // already sent and awaiting its answer cannot be cancelled: the call rejects at once instead, and
  // such a part, if it completes, is found by ListParts on the next run.
  let onAbort = (): void => undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = (): void => {
      t.client.cancel();
      reject(new UploadError('Upload.Aborted', 'upload aborted; run it again to resume', { cause: t.signal?.reason }));
    };
  });
  aborted.catch(() => undefined);
  t.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await Promise.race([aborted, t.client.multipartUpload(cp.address.FileName, t.path, {
      partSize: cp.multipart?.partSize ?? t.partSize,
      parallel: t.parallel,
      checkpoint: cp.multipart ? { ...cp.multipart, file: t.path } : undefined,
      progress: async (_fraction: number, cpt?: OSS.Checkpoint) => {
        if (!cpt?.uploadId) return;
        cp.multipart = { name: cpt.name, fileSize: cpt.fileSize, partSize: cpt.partSize, uploadId: cpt.uploadId, doneParts: [...cpt.doneParts] };
        await t.store?.save(cp);
        t.onAcked(ackedBytes(cp.multipart));
      },
    })]);
  } catch (e) {
    if (e instanceof UploadError) throw e;
    if (t.signal?.aborted || isOssCancel(e)) throw new UploadError('Upload.Aborted', 'upload aborted; run it again to resume', { cause: e });
    throw ossFailure(e, 'multipart upload');
  } finally {
    t.signal?.removeEventListener('abort', onAbort);
  }
}
