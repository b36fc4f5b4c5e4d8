import type { ServiceDeps } from '../api/rpc/action.js';
import { defineJobHandler } from '../jobs/job-registry.js';

/** Removes the stored bytes of a deleted video (source, cover, snapshots live under `<videoId>/`). */
export const mediaPurgeHandler = (deps: Pick<ServiceDeps, 'blobs'>) =>
  defineJobHandler('media.purge', async (payload, ctx) => {
    await deps.blobs.deletePrefix(payload.prefix);
    ctx.log.info({ prefix: payload.prefix }, 'purged stored media');
    return { kind: 'done' };
  });
