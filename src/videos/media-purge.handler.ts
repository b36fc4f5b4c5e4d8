import type { ServiceDeps } from '../api/rpc/action.js';
import { defineJobHandler } from '../jobs/job-registry.js';

/**
 * Removes the stored bytes of a deleted video: everything OpenVOD wrote under `<videoId>/` in
 * its own storage (cover, snapshots, source) and, for a source stored in another declared
 * storage, under the same prefix there. A registered media's source is the user's object and is
 * never named here.
 */
export const mediaPurgeHandler = (deps: Pick<ServiceDeps, 'blobs' | 'storages'>) =>
  defineJobHandler('media.purge', async (payload, ctx) => {
    await deps.blobs.deletePrefix(payload.prefix);
    if (payload.sourceLocation !== undefined) {
      const storage = deps.storages.get(payload.sourceLocation);
      if (storage) await storage.blobs.deletePrefix(payload.prefix);
      else ctx.log.warn({ location: payload.sourceLocation, prefix: payload.prefix }, 'storage no longer declared; its files were not purged');
    }
    ctx.log.info({ prefix: payload.prefix, sourceLocation: payload.sourceLocation }, 'purged stored media');
    return { kind: 'done' };
  });
