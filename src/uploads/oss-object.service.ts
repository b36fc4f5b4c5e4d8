// The operations of the upload endpoint's OSS subset (oss-upload-subset §3), each on the one
// object a credential may write. Bodies stream into the blob store. Multipart parts are recorded
// in the metadata store, so an upload survives a restart; their bytes go, on the filesystem
// store, to their place in one staging file per upload (oss/part-staging.ts), which Complete
// hands to the store whole (a rename); otherwise, and for any part that does not fit there, to
// blobs of their own under `<mediaId>/multipart/<uploadId>/`, which Complete streams in order
// into the final object. The object's CRC-64 is combined from the parts' CRCs either way.
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { ServiceDeps } from '../api/rpc/action.js';
import { BlobTooLargeError } from '../blob/blob-errors.js';
import type { BlobInfo, BlobStore } from '../blob/blob-store.js';
import { findVideo } from '../videos/video.repository.js';
import { combinedCrc64 } from '../oss/crc64.js';
import { OssError } from '../oss/oss-errors.js';
import { contiguousFromStart, stagedOffset } from '../oss/part-slots.js';
import { PartStaging } from '../oss/part-staging.js';
import { type CompletePart, parseCompleteMultipartUpload, resultXml } from '../oss/oss-xml.js';
import { queryValue, type QueryPairs } from '../oss/oss-request.js';
import { partBlobKey, uploadBlobPrefix } from './upload-credential.js';
import { type BodyDigest, declaredBody, digestingBody } from './oss-body.js';
import { assertMediaAlive, finishObject } from './upload-finish.js';
import {
  deleteMultipartUpload, findMultipartUpload, findPart, findStaleMultipartUploads, insertMultipartUpload, listParts, type MultipartUploadRow, type PartRow,
  type UploadObjectRow, upsertPart,
} from './upload.repository.js';

export interface OssCall {
  readonly deps: ServiceDeps;
  readonly target: UploadObjectRow;
  readonly query: QueryPairs;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Readable;
}

export interface OssAnswer {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string | number>>;
  /** XML body, if any. */
  readonly xml?: string;
}

/** "Every non-last part ≥ 100 KB" (checked at Complete, §9). */
export const MIN_PART_BYTES = 100 * 1024;
export const MAX_PART_NUMBER = 10_000;
const MAX_COMPLETE_BODY_BYTES = 4 * 1024 * 1024;

const quoted = (etag: string): string => `"${etag}"`;

/**
 * The store the upload's final object goes to: a video's source lives in the storage its
 * StorageLocation names; images (and every multipart part) in OpenVOD's own storage.
 */
export async function objectBlobs(deps: ServiceDeps, target: UploadObjectRow): Promise<BlobStore> {
  if (target.media_type !== 'video') return deps.blobs;
  const video = await findVideo(deps.store.db, target.media_id);
  return video ? deps.storages.of(video.storage_location).blobs : deps.blobs;
}

const stagings = new WeakMap<ServiceDeps, PartStaging | null>();

/** Where multipart parts are staged: only beside the filesystem store (one process per data dir). */
function partStaging(deps: ServiceDeps): PartStaging | undefined {
  let staging = stagings.get(deps);
  if (staging === undefined) {
    staging = deps.blobs.kind === 'fs' ? new PartStaging(join(deps.config.dataDir, 'multipart')) : null;
    stagings.set(deps, staging);
  }
  return staging ?? undefined;
}

async function putStreamed(call: OssCall, blobs: BlobStore, key: string, maxBytes: number) {
  const declared = declaredBody(call.headers);
  if (declared.contentLength !== undefined && declared.contentLength > maxBytes) {
    throw new OssError('EntityTooLarge', `The body (${declared.contentLength} bytes) exceeds the limit of ${maxBytes} bytes.`);
  }
  const digesting = digestingBody(call.body, declared);
  try {
    await blobs.put(key, digesting.body, { contentType: call.target.content_type, maxBytes });
  } catch (err) {
    if (err instanceof BlobTooLargeError) throw new OssError('EntityTooLarge', `The body exceeds the limit of ${maxBytes} bytes.`, undefined, { cause: err });
    throw err;
  }
  return digesting.digest();
}

export async function putObject(call: OssCall): Promise<OssAnswer> {
  await assertMediaAlive(call.deps, call.target);
  const limit = Math.min(call.deps.config.upload.maxPutBytes, call.deps.config.upload.maxObjectBytes);
  const blobs = await objectBlobs(call.deps, call.target);
  const d = await putStreamed(call, blobs, call.target.blob_key, limit);
  const etag = d.md5Hex.toUpperCase();
  await finishObject(call.deps, call.target, blobs, {
    size: d.size, md5Hex: d.md5Hex, etag, content_md5: d.md5Base64, crc64: d.crc64, object_type: 'Normal',
    content_type: call.headers['content-type'] ?? call.target.content_type,
  });
  return { status: 200, headers: { etag: quoted(etag), 'x-oss-hash-crc64ecma': d.crc64, 'content-md5': d.md5Base64 } };
}

export async function initiateMultipartUpload(call: OssCall): Promise<OssAnswer> {
  await assertMediaAlive(call.deps, call.target);
  const uploadId = randomBytes(16).toString('hex').toUpperCase();
  await insertMultipartUpload(call.deps.store.db, {
    upload_id: uploadId, object_key: call.target.object_key, bucket: call.target.bucket, media_id: call.target.media_id,
    content_type: call.headers['content-type'] ?? call.target.content_type, created_at_ms: call.deps.clock(),
  });
  return { status: 200, xml: resultXml('InitiateMultipartUploadResult', { Bucket: call.target.bucket, Key: call.target.object_key, UploadId: uploadId }) };
}

async function openUpload(call: OssCall): Promise<MultipartUploadRow> {
  const uploadId = queryValue(call.query, 'uploadId') ?? '';
  const upload = uploadId === '' ? undefined : await findMultipartUpload(call.deps.store.db, uploadId);
  if (!upload || upload.object_key !== call.target.object_key) throw new OssError('NoSuchUpload', undefined, { UploadId: uploadId });
  return upload;
}

export async function uploadPart(call: OssCall): Promise<OssAnswer> {
  const text = queryValue(call.query, 'partNumber') ?? '';
  const partNumber = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(partNumber >= 1 && partNumber <= MAX_PART_NUMBER)) {
    throw new OssError('InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive.', { ArgumentName: 'partNumber', ArgumentValue: text });
  }
  const upload = await openUpload(call);
  const db = call.deps.store.db;
  const maxBytes = call.deps.config.upload.maxPutBytes;
  const declared = declaredBody(call.headers);
  const slot = declared.contentLength !== undefined && declared.contentLength <= maxBytes
    ? await partStaging(call.deps)?.claim(
      { uploadId: upload.upload_id, prefix: uploadBlobPrefix(upload.media_id, upload.upload_id) }, partNumber, declared.contentLength,
      () => listParts(db, upload.upload_id),
    )
    : undefined;
  let blobKey: string;
  let d: BodyDigest;
  let replaced: PartRow | undefined;
  try {
    if (slot) {
      const digesting = digestingBody(call.body, declared);
      await slot.write(digesting.body);
      d = digesting.digest();
      blobKey = slot.key;
    } else {
      blobKey = partBlobKey(upload.media_id, upload.upload_id, partNumber);
      d = await putStreamed(call, call.deps.blobs, blobKey, maxBytes);
    }
    const outcome = await db.transaction().execute(async (trx) => {
      if (!(await findMultipartUpload(trx, upload.upload_id))) return 'gone' as const;
      const previous = await findPart(trx, upload.upload_id, partNumber);
      await upsertPart(trx, {
        upload_id: upload.upload_id, part_number: partNumber, blob_key: blobKey, etag: d.md5Hex, size: d.size, crc64: d.crc64, updated_at_ms: call.deps.clock(),
      });
      return previous;
    });
    if (outcome === 'gone') {
      if (!slot) await call.deps.blobs.delete(blobKey);
      throw new OssError('NoSuchUpload', undefined, { UploadId: upload.upload_id });
    }
    slot?.recorded();
    replaced = outcome;
  } finally {
    slot?.release();
  }
  // "Re-uploading a part overwrites it": the earlier bytes go once the row points at the new ones
  // (a staged part's slot stays, unused, until the upload ends).
  if (replaced && replaced.blob_key !== blobKey && stagedOffset(replaced.blob_key) === undefined) await call.deps.blobs.delete(replaced.blob_key);
  const etag = d.md5Hex.toUpperCase();
  return { status: 200, headers: { etag: quoted(etag), 'x-oss-hash-crc64ecma': d.crc64, 'content-md5': d.md5Base64 } };
}

async function readSmallBody(call: OssCall): Promise<Buffer> {
  const declared = declaredBody({ ...call.headers, ...(call.headers['content-length'] === undefined && call.headers['transfer-encoding'] === undefined ? { 'content-length': '0' } : {}) });
  if (declared.contentLength !== undefined && declared.contentLength > MAX_COMPLETE_BODY_BYTES) throw new OssError('MalformedXML', 'The CompleteMultipartUpload body is too large.');
  const digesting = digestingBody(call.body, declared);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of digesting.body) {
    size += chunk.length;
    if (size > MAX_COMPLETE_BODY_BYTES) throw new OssError('MalformedXML', 'The CompleteMultipartUpload body is too large.');
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

/** The parts to assemble, checked as OSS checks them (§3.4). */
function chooseParts(requested: readonly CompletePart[], uploaded: readonly PartRow[]): PartRow[] {
  const byNumber = new Map(uploaded.map((p) => [p.part_number, p]));
  const chosen: PartRow[] = [];
  let last = 0;
  for (const r of requested) {
    if (!(r.partNumber >= 1 && r.partNumber <= MAX_PART_NUMBER) || r.partNumber <= last) throw new OssError('InvalidPartOrder');
    last = r.partNumber;
    const part = byNumber.get(r.partNumber);
    if (!part || part.etag.toUpperCase() !== r.etag.toUpperCase()) {
      throw new OssError('InvalidPart', `Part ${r.partNumber} was not uploaded, or its ETag is not "${r.etag}".`);
    }
    chosen.push(part);
  }
  chosen.forEach((p, i) => {
    if (i < chosen.length - 1 && p.size < MIN_PART_BYTES) {
      throw new OssError('EntityTooSmall', `Part ${p.part_number} has ${p.size} bytes; every part but the last must have at least ${MIN_PART_BYTES}.`);
    }
  });
  return chosen;
}

/** The S3/OSS multipart ETag: MD5 over the parts' binary MD5s, uppercase, `-<count>`. */
export function multipartEtag(partMd5Hex: readonly string[]): string {
  const h = createHash('md5');
  for (const m of partMd5Hex) h.update(Buffer.from(m, 'hex'));
  return `${h.digest('hex').toUpperCase()}-${partMd5Hex.length}`;
}

interface AssemblyPlan {
  deps: ServiceDeps;
  upload: MultipartUploadRow;
  parts: readonly PartRow[];
  total: number;
  target: BlobStore;
  key: string;
  maxBytes: number;
  /** The object's MD5 is computed after Complete (a video's analysis), not while storing it. */
  md5Later: boolean;
}

/**
 * The staging file's first `total` bytes are the object (the parts lie there end to end): it is
 * handed to the store as it is — on the fs store a rename, no byte copied. Undefined when the
 * file holds more than the object (a part outside the list was staged after it): then the parts
 * are assembled as usual.
 *
 * A video's file is not read for its MD5 here: its analysis job computes FileMD5 (`md5Hex`
 * null). An image has no analysis, so the store hashes it (images are small).
 */
async function commitStagingFile(staging: PartStaging, p: AssemblyPlan): Promise<{ info: BlobInfo; md5Hex: string | null } | undefined> {
  const id = p.upload.upload_id;
  await staging.quiesce(id);
  let linked: string | undefined;
  try {
    if ((await staging.size(id)) !== p.total) {
      staging.resume(id);
      return undefined;
    }
    linked = await staging.linkForCommit(id);
    // A Complete retried after a crash that followed the rename finds the staging file already
    // the object: the store's move is then a no-op that succeeds.
    const info = await p.target.putFile(p.key, linked, { move: true, skipMd5: p.md5Later, contentType: p.upload.content_type });
    return { info, md5Hex: p.md5Later ? null : info.etag };
  } catch (err) {
    staging.resume(id);
    throw err;
  } finally {
    if (linked !== undefined) await staging.unlinkQuietly(linked);
  }
}

/** The object in the store: the staging file itself when it can be, else the parts assembled. */
async function storeObject(staging: PartStaging | undefined, p: AssemblyPlan): Promise<{ info: BlobInfo; md5Hex: string | null }> {
  const committed = staging && contiguousFromStart(p.parts) ? await commitStagingFile(staging, p) : undefined;
  if (committed) return committed;
  // put() makes the MD5 the etag: the assembly streams every byte anyway.
  const info = await assembleParts(staging, p);
  return { info, md5Hex: info.etag };
}

/** Streams the parts, in order, into the final object (bounded memory). */
async function assembleParts(staging: PartStaging | undefined, p: AssemblyPlan): Promise<BlobInfo> {
  const { deps, upload } = p;
  async function* assembled(): AsyncGenerator<Uint8Array> {
    for (const part of p.parts) {
      const offset = stagedOffset(part.blob_key);
      const source = offset !== undefined && staging ? await staging.read(upload.upload_id, offset, part.size) : await deps.blobs.get(part.blob_key);
      let got = 0;
      for await (const chunk of source) {
        got += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
      if (got !== part.size) throw new Error(`part ${part.part_number} of upload ${upload.upload_id} has ${got} bytes stored, ${part.size} recorded`);
    }
  }
  return p.target.put(p.key, assembled(), { contentType: upload.content_type, maxBytes: p.maxBytes });
}

/** Removes an ended upload's part bytes, wherever they are. */
async function discardParts(deps: ServiceDeps, upload: { upload_id: string; media_id: string }): Promise<void> {
  await partStaging(deps)?.remove(upload.upload_id);
  await deps.blobs.deletePrefix(uploadBlobPrefix(upload.media_id, upload.upload_id));
}

export async function completeMultipartUpload(call: OssCall): Promise<OssAnswer> {
  const upload = await openUpload(call);
  const body = await readSmallBody(call);
  const db = call.deps.store.db;
  const uploaded = await listParts(db, upload.upload_id);
  let requested: CompletePart[];
  if ((call.headers['x-oss-complete-all'] ?? '').toLowerCase() === 'yes') {
    if (body.length > 0) throw new OssError('InvalidArgument', 'With x-oss-complete-all the body must be empty.', { ArgumentName: 'x-oss-complete-all', ArgumentValue: 'yes' });
    requested = uploaded.map((p) => ({ partNumber: p.part_number, etag: p.etag }));
    if (requested.length === 0) throw new OssError('InvalidPart', 'The upload has no parts.');
  } else {
    const parsed = parseCompleteMultipartUpload(body.toString('utf8'));
    if (!parsed) throw new OssError('MalformedXML');
    requested = parsed;
  }
  const parts = chooseParts(requested, uploaded);
  const total = parts.reduce((n, p) => n + p.size, 0);
  const maxBytes = call.deps.config.upload.maxObjectBytes;
  if (total > maxBytes) throw new OssError('EntityTooLarge', `The parts add up to ${total} bytes; the limit is ${maxBytes}.`);
  await assertMediaAlive(call.deps, call.target);

  const crc = combinedCrc64(parts);
  const target = await objectBlobs(call.deps, call.target);
  const staging = partStaging(call.deps);
  const put = { deps: call.deps, upload, parts, total, target, key: call.target.blob_key, maxBytes, md5Later: call.target.media_type === 'video' };
  const stored = await storeObject(staging, put);
  const etag = multipartEtag(parts.map((p) => p.etag));
  await finishObject(call.deps, call.target, target, {
    size: stored.info.size, md5Hex: stored.md5Hex, etag, content_md5: null, crc64: crc, object_type: 'Multipart', content_type: upload.content_type,
  }, async (trx) => {
    await deleteMultipartUpload(trx, upload.upload_id);
  });
  await discardParts(call.deps, upload);
  return {
    status: 200,
    headers: { etag: quoted(etag), 'x-oss-hash-crc64ecma': crc },
    xml: resultXml('CompleteMultipartUploadResult', {
      Location: `${call.deps.config.publicUrl}/${call.target.object_key}`, Bucket: call.target.bucket, Key: call.target.object_key, ETag: quoted(etag),
    }),
  };
}

export async function abortMultipartUpload(call: OssCall): Promise<OssAnswer> {
  const upload = await openUpload(call);
  await deleteMultipartUpload(call.deps.store.db, upload.upload_id);
  await discardParts(call.deps, upload);
  return { status: 204 };
}

export async function listUploadParts(call: OssCall): Promise<OssAnswer> {
  const upload = await openUpload(call);
  const intParam = (name: string, fallback: number, max: number): number => {
    const v = queryValue(call.query, name);
    if (v === undefined || v === null || v === '') return fallback;
    if (!/^\d{1,6}$/.test(v) || Number(v) > max) throw new OssError('InvalidArgument', `${name} must be an integer between 0 and ${max}.`, { ArgumentName: name, ArgumentValue: v });
    return Number(v);
  };
  const maxParts = Math.max(1, intParam('max-parts', 1000, 1000));
  const marker = intParam('part-number-marker', 0, MAX_PART_NUMBER);
  const rows = await listParts(call.deps.store.db, upload.upload_id, { afterPartNumber: marker, limit: maxParts + 1 });
  const page = rows.slice(0, maxParts);
  const truncated = rows.length > maxParts;
  return {
    status: 200,
    xml: resultXml('ListPartsResult', {
      Bucket: upload.bucket, Key: upload.object_key, UploadId: upload.upload_id, StorageClass: 'Standard',
      PartNumberMarker: marker, NextPartNumberMarker: page.length > 0 ? (page[page.length - 1] as PartRow).part_number : marker,
      MaxParts: maxParts, IsTruncated: truncated,
      Part: page.map((p) => ({
        PartNumber: p.part_number, LastModified: new Date(p.updated_at_ms).toISOString(), ETag: quoted(p.etag.toUpperCase()),
        HashCrc64ecma: p.crc64, Size: p.size,
      })),
    }),
  };
}

export async function headObject(call: OssCall): Promise<OssAnswer> {
  const t = call.target;
  const info = t.stored_at_ms === null ? null : await (await objectBlobs(call.deps, t)).stat(t.blob_key);
  if (!info || t.etag === null) throw new OssError('NoSuchKey');
  const headers: Record<string, string | number> = {
    etag: quoted(t.etag), 'content-length': info.size, 'content-type': t.content_type, 'last-modified': info.lastModified.toUTCString(),
    'x-oss-object-type': t.object_type ?? 'Normal', 'x-oss-storage-class': 'Standard',
  };
  if (t.crc64 !== null) headers['x-oss-hash-crc64ecma'] = t.crc64;
  if (t.content_md5 !== null) headers['content-md5'] = t.content_md5;
  return { status: 200, headers };
}

/** Multipart uploads nobody completed or aborted (clients never abort on failure, §3.5). */
export async function sweepStaleUploads(deps: ServiceDeps, nowMs: number): Promise<number> {
  const stale = await findStaleMultipartUploads(deps.store.db, nowMs - deps.config.upload.multipartExpiryMs, 100);
  for (const u of stale) {
    await deleteMultipartUpload(deps.store.db, u.upload_id);
    await discardParts(deps, u);
  }
  // Staging files whose upload is gone (a crash between the end of an upload and their removal).
  await partStaging(deps)?.sweep(async (id) => (await findMultipartUpload(deps.store.db, id)) !== undefined, deps.config.upload.multipartExpiryMs, nowMs);
  return stale.length;
}
