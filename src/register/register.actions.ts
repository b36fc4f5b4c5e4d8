// RegisterMedia (reference §4): objects already in a declared storage become media without a
// byte being copied. Each FileURL must name an existing object with an audio/video extension;
// anything else (unknown storage, another host, path traversal, a missing object) is listed in
// FailedFileURLs. Registering an object again answers its existing MediaId, NewRegister false.
// A new media starts UploadSucc; its analysis job (register-analyse.handler.ts) probes it in
// place and, with TemplateGroupId VOD_NO_TRANSCODE, makes it Normal.
import type { ActionTable } from '../api/rpc/action.js';
import { ApiError } from '../domain/errors.js';
import { newMediaId } from '../domain/ids.js';
import { isMediaExtension } from '../domain/media-formats.js';
import { DEFAULT_APP_ID } from '../domain/storage.js';
import { checkUserData } from '../domain/user-data.js';
import { enqueueJob } from '../jobs/job.repository.js';
import { storedMediaUrl } from '../media-pipeline/media-ref.js';
import { resolveObjectUrl, type ObjectRef } from '../storage/object-url.js';
import { checkTemplateGroup, checkWorkflow } from '../url-uploads/url-upload.request.js';
import { videoRowForUpload } from '../videos/video.factory.js';
import { categoryExists, insertVideo } from '../videos/video.repository.js';
import { claimRegistration, findRegistration } from './registration.repository.js';
import { parseRegisterMetadatas, type RegisterEntry } from './register.request.js';

/** Thrown inside the transaction when a concurrent request registered the object first. */
class AlreadyRegistered extends Error {}

export const registerActions: ActionTable = {
  async RegisterMedia(ctx, p) {
    const entries = parseRegisterMetadatas(p.required('RegisterMetadatas'));
    // "WorkflowId wins over TemplateGroupId": there are no workflows, so one given is refused.
    checkWorkflow(p.get('WorkflowId'));
    const templateGroupId = checkTemplateGroup(p.get('TemplateGroupId'));
    const userData = checkUserData(p.get('UserData') ?? '');
    const appId = p.get('AppId') ?? DEFAULT_APP_ID;
    const db = ctx.deps.store.db;
    for (const cateId of new Set(entries.map((e) => e.cateId))) {
      if (cateId !== undefined && !(await categoryExists(db, cateId))) throw new ApiError('InvalidCateId.NotFound', `The category ${cateId} does not exist.`);
    }

    const failed: string[] = [];
    const found: Array<{ entry: RegisterEntry; ref: ObjectRef; size: number; md5: string | null }> = [];
    for (const entry of entries) {
      const resolved = resolveObjectUrl(ctx.deps.storages, entry.fileUrl);
      if (!resolved.ok) {
        ctx.log.info({ fileUrl: entry.fileUrl, reason: resolved.reason }, 'RegisterMedia: FileURL refused');
        failed.push(entry.fileUrl);
        continue;
      }
      const ext = /\.([A-Za-z0-9]{1,10})$/.exec(resolved.ref.key)?.[1];
      const info = ext !== undefined && isMediaExtension(ext) ? await resolved.ref.storage.blobs.stat(resolved.ref.key) : null;
      if (!info) {
        failed.push(entry.fileUrl);
        continue;
      }
      found.push({ entry, ref: resolved.ref, size: info.size, md5: /^[0-9a-f]{32}$/.test(info.etag) ? info.etag : null });
    }
    // "All must be in the same storage location."
    const locations = new Set(found.map((f) => f.ref.storage.location));
    if (locations.size > 1) throw new ApiError('InvalidParameter', `RegisterMetadatas names objects of ${locations.size} storages (${[...locations].join(', ')}); one request registers objects of one storage.`);

    const registered: Array<{ FileURL: string; MediaId: string; NewRegister: boolean }> = [];
    let created = 0;
    for (const f of found) {
      const { location } = f.ref.storage;
      const existing = await findRegistration(db, location, f.ref.key);
      if (existing !== undefined) {
        registered.push({ FileURL: f.entry.fileUrl, MediaId: existing, NewRegister: false });
        continue;
      }
      const videoId = newMediaId();
      try {
        await db.transaction().execute(async (trx) => {
          if (!(await claimRegistration(trx, { location, key: f.ref.key, mediaId: videoId, nowMs: ctx.nowMs }))) throw new AlreadyRegistered();
          const row = videoRowForUpload({
            videoId, appId, nowMs: ctx.nowMs, storageLocation: location, userData, title: f.entry.title, description: f.entry.description,
            tags: f.entry.tags, cateId: f.entry.cateId, coverUrl: storedMediaUrl(ctx.deps.config.publicUrl, f.entry.coverUrl),
            templateGroupId, fileName: f.ref.key.split('/').pop() ?? f.ref.key,
          });
          await insertVideo(trx, { ...row, status: 'UploadSucc', storage_key: f.ref.key, size: f.size, file_md5: f.md5 });
          await enqueueJob(trx, { kind: 'media.analyse-registered', payload: { videoId }, nowMs: ctx.nowMs });
        });
        created++;
        registered.push({ FileURL: f.entry.fileUrl, MediaId: videoId, NewRegister: true });
      } catch (err) {
        if (!(err instanceof AlreadyRegistered)) throw err;
        const winner = await findRegistration(db, location, f.ref.key);
        if (winner === undefined) throw new ApiError('ServiceUnAvailable', 'The object was registered and unregistered concurrently; retry.');
        registered.push({ FileURL: f.entry.fileUrl, MediaId: winner, NewRegister: false });
      }
    }
    if (created > 0) ctx.deps.notifyWorkers();
    return { RegisteredMediaList: registered, FailedFileURLs: failed };
  },
};
