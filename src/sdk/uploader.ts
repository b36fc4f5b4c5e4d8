// The uploader: ApsaraVideo's upload SDK flow (CreateUploadVideo → upload address and
// credential → bytes sent with ali-oss) for a local file, a readable stream or a remote URL.
// Silent unless given a logger.
import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { CheckpointStore, type FileCheckpoint } from './checkpoint-store.js';
import { ackedBytes, reconcileParts, transferFile } from './file-upload.js';
import { createOssClient } from './oss-client.js';
import { VodApiError, VodRpcClient, type RpcParams } from './rpc-client.js';
import { uploadStreamParts } from './stream-multipart.js';
import { decodeUploadAddress, decodeUploadAuth, sameAddress } from './upload-address.js';
import { CredentialKeeper, refreshTicket, type UploadTicket } from './upload-credentials.js';
import { UploadError } from './upload.errors.js';
import { discardBody, openUrlSource } from './url-source.js';
import type { StreamUploadOptions, UploadMetadata, Uploader, UploaderOptions, UploadProgress, UploadResult, UrlUploadOptions } from './uploader.types.js';

const MIN_PART_BYTES = 100 * 1024;
const DEFAULT_PART_BYTES = 8 * 1024 * 1024;
/**
 * A stream's parts are held in memory until acknowledged ((parallel + 1) of them), so by default
 * they are smaller: 4 MiB, or what a declared size needs to fit in OSS's 10,000 parts.
 */
const DEFAULT_STREAM_PART_BYTES = 4 * 1024 * 1024;
const MAX_PARTS = 10_000;

const streamPartSize = (declared: number | undefined): number =>
  declared === undefined ? DEFAULT_STREAM_PART_BYTES : Math.max(DEFAULT_STREAM_PART_BYTES, Math.ceil(declared / MAX_PARTS));

function checkOptions(o: UploaderOptions): { partSize: number; parallel: number } {
  const partSize = o.partSize ?? DEFAULT_PART_BYTES;
  const parallel = o.parallel ?? 4;
  const problems: string[] = [];
  if (!Number.isInteger(partSize) || partSize < MIN_PART_BYTES) problems.push(`partSize must be an integer ≥ ${MIN_PART_BYTES}`);
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > 64) problems.push('parallel must be an integer from 1 to 64');
  if (!o.endpoint || !o.accessKeyId || !o.accessKeySecret) problems.push('endpoint, accessKeyId and accessKeySecret are required');
  if (problems.length) throw new UploadError('Upload.InvalidSource', `bad uploader options: ${problems.join('; ')}`);
  return { partSize, parallel };
}

function metadataParams(m: Omit<UploadMetadata, 'title'> & { title: string }): RpcParams {
  return {
    Title: m.title,
    Description: m.description,
    Tags: typeof m.tags === 'string' || m.tags === undefined ? m.tags : m.tags.join(','),
    CateId: m.cateId,
    CoverURL: m.coverUrl,
    TemplateGroupId: m.templateGroupId,
    UserData: typeof m.userData === 'object' ? JSON.stringify(m.userData) : m.userData,
    StorageLocation: m.storageLocation,
    AppId: m.appId,
  };
}

export function createUploader(options: UploaderOptions): Uploader {
  const { partSize, parallel } = checkOptions(options);
  const log = options.logger;
  const rpc = new VodRpcClient({ endpoint: options.endpoint, accessKeyId: options.accessKeyId, accessKeySecret: options.accessKeySecret, method: 'POST' });
  const marginMs = options.credentialRefreshMarginMs ?? 300_000;

  async function createVideo(meta: Omit<UploadMetadata, 'title'> & { title: string }, fileName: string, size: number | undefined): Promise<UploadTicket> {
    const r = await rpc.call<{ VideoId: string; UploadAddress: string; UploadAuth: string }>(
      'CreateUploadVideo', { ...metadataParams(meta), FileName: fileName, FileSize: size }, { signal: meta.signal },
    );
    log?.info({ videoId: r.VideoId, fileName, size }, 'video created');
    return { videoId: r.VideoId, address: decodeUploadAddress(r.UploadAddress), auth: decodeUploadAuth(r.UploadAuth) };
  }

  async function videoStatus(videoId: string, signal?: AbortSignal): Promise<string | undefined> {
    try {
      return (await rpc.call<{ Video: { Status: string } }>('GetVideoInfo', { VideoId: videoId }, { signal })).Video.Status;
    } catch (e) {
      if (e instanceof VodApiError && e.code === 'InvalidVideo.NotFound') return undefined;
      throw e;
    }
  }

  const progress = (meta: { onProgress?: (p: UploadProgress) => void }, base: Omit<UploadProgress, 'bytesSent'>) =>
    (bytesSent: number): void => meta.onProgress?.({ ...base, bytesSent });

  /** The checkpoint's ticket with a fresh credential, or undefined when it cannot be continued. */
  async function resumeTicket(cp: FileCheckpoint, signal?: AbortSignal): Promise<UploadTicket | 'finished' | undefined> {
    const status = await videoStatus(cp.videoId, signal);
    if (status === undefined) return undefined;
    if (status !== 'Uploading') return 'finished';
    const ticket = await refreshTicket(rpc, cp.videoId, signal);
    return sameAddress(ticket.address, cp.address) ? ticket : undefined;
  }

  async function uploadFile(path: string, meta: UploadMetadata): Promise<UploadResult> {
    const abs = resolve(path);
    const st = await stat(abs).catch((e: unknown) => Promise.reject(new UploadError('Upload.InvalidSource', `cannot read ${abs}`, { cause: e })));
    if (!st.isFile()) throw new UploadError('Upload.InvalidSource', `${abs} is not a regular file`);
    if (st.size === 0) throw new UploadError('Upload.InvalidSource', `${abs} is empty`);
    const identity = { endpoint: options.endpoint, path: abs, size: st.size, mtimeMs: Math.trunc(st.mtimeMs) };
    const store = options.checkpointDir ? new CheckpointStore(options.checkpointDir, identity) : undefined;

    let cp = await store?.load();
    let ticket: UploadTicket | undefined;
    if (cp) {
      const r = await resumeTicket(cp, meta.signal);
      if (r === 'finished') {
        log?.info({ videoId: cp.videoId }, 'an earlier run already finished this upload');
        await store?.remove();
        return { videoId: cp.videoId, size: st.size, resumed: true };
      }
      if (r === undefined) log?.warn({ videoId: cp.videoId }, 'checkpoint cannot be continued; starting over');
      ticket = r;
    }
    const resumed = ticket !== undefined;
    if (!ticket || !cp) {
      ticket = await createVideo(meta, basename(abs), st.size);
      cp = { version: 1, source: { path: abs, size: st.size, mtimeMs: identity.mtimeMs }, endpoint: options.endpoint, videoId: ticket.videoId, address: ticket.address };
      await store?.save(cp);
    }
    const keeper = new CredentialKeeper(rpc, ticket, marginMs, log);
    const client = await createOssClient(ticket, keeper);
    const report = progress(meta, { videoId: ticket.videoId, totalBytes: st.size, resumed });
    if (resumed && cp.multipart) {
      const known = await reconcileParts(client, cp.multipart);
      if (!known) {
        log?.warn({ videoId: ticket.videoId }, 'the endpoint no longer knows the multipart upload; sending every part again');
        delete cp.multipart;
      }
      await store?.save(cp);
      log?.info({ videoId: ticket.videoId, partsDone: cp.multipart?.doneParts.length ?? 0 }, 'resuming upload');
    }
    report(cp.multipart ? ackedBytes(cp.multipart) : 0);
    await transferFile({ client, path: abs, size: st.size, partSize, parallel, checkpoint: cp, store, signal: meta.signal, onAcked: report, log });
    report(st.size);
    await store?.remove();
    log?.info({ videoId: ticket.videoId, size: st.size, credentialRefreshes: keeper.refreshes }, 'upload complete');
    return { videoId: ticket.videoId, size: st.size, resumed };
  }

  async function uploadStream(source: Readable | AsyncIterable<Uint8Array>, o: StreamUploadOptions): Promise<UploadResult> {
    if (!o.fileName) throw new UploadError('Upload.InvalidSource', 'fileName is required for a stream');
    if (o.size !== undefined && (!Number.isInteger(o.size) || o.size <= 0)) throw new UploadError('Upload.InvalidSource', 'size must be a positive integer');
    o.signal?.throwIfAborted();
    const ticket = await createVideo({ ...o, title: o.title ?? o.fileName }, o.fileName, o.size);
    const keeper = new CredentialKeeper(rpc, ticket, marginMs, log);
    const client = await createOssClient(ticket, keeper);
    const report = progress(o, { videoId: ticket.videoId, totalBytes: o.size, resumed: false });
    report(0);
    const r = await uploadStreamParts({
      client, name: ticket.address.FileName, source, partSize: options.partSize ?? streamPartSize(o.size), parallel, declaredSize: o.size, signal: o.signal, onAcked: report, log,
    });
    log?.info({ videoId: ticket.videoId, size: r.size, credentialRefreshes: keeper.refreshes }, 'upload complete');
    return { videoId: ticket.videoId, size: r.size, md5: r.md5 };
  }

  async function uploadUrl(url: string, o: UrlUploadOptions = {}): Promise<UploadResult> {
    const src = await openUrlSource(url, o.signal, o.fileName);
    try {
      const fileName = src.fileName;
      return await uploadStream(src.body, { ...o, fileName, title: o.title ?? fileName, size: src.size });
    } finally {
      discardBody(src.body);
    }
  }

  return { uploadFile, uploadStream, uploadUrl };
}
