// GetStorageList: the storages this deployment declares. ApsaraVideo's SDK has this operation
// (undocumented; reference events-and-more §6): the answer keeps its shape — StorageList.Storage
// with Location, Status, DefaultUpload … — and adds what OpenVOD users need to know
// (StorageType fs|s3, Writable, Bucket).
import type { ActionTable } from '../api/rpc/action.js';
import { DEFAULT_APP_ID } from '../domain/storage.js';

export const storageActions: ActionTable = {
  async GetStorageList(ctx, p) {
    const all = ctx.deps.storages.list();
    const pageSize = p.int('PageSize', { min: 1, max: 100 }) ?? 100;
    const pageNumber = p.int('PageNumber', { min: 1 }) ?? 1;
    const page = all.slice((pageNumber - 1) * pageSize, pageNumber * pageSize);
    return {
      PageNumber: pageNumber,
      PageSize: pageSize,
      TotalCount: all.length,
      StorageList: {
        Storage: page.map((s) => ({
          AppId: p.get('AppId') ?? DEFAULT_APP_ID,
          Location: s.location,
          Region: ctx.deps.config.regionId,
          Status: 0,
          Type: s.builtIn ? 0 : 1,
          DefaultUpload: s.location === ctx.deps.storages.defaultLocation,
          StorageType: s.type,
          Writable: s.writable,
          BuiltIn: s.builtIn,
          ...(s.bucket === undefined ? {} : { Bucket: s.bucket, Prefix: s.prefix }),
        })),
      },
    };
  },
};
