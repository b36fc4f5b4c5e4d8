// The storages of one process, by location. `openvod-default` always exists: OpenVOD's own
// storage (the data dir's `media/` unless the config redefines it), which holds every file
// OpenVOD derives (covers, snapshots, upload parts, images). A media's source lives in the
// storage its StorageLocation names, at its `storage_key`.
import { join } from 'node:path';
import type { BlobStore } from '../blob/blob-store.js';
import { createFsBlobStore } from '../blob/fs-blob-store.js';
import { ApiError } from '../domain/errors.js';
import { DEFAULT_STORAGE_LOCATION } from '../domain/storage.js';
import type { Logger } from '../logger.js';
import type { StorageConfig } from './storage.config.js';

export interface Storage {
  readonly location: string;
  readonly type: 'fs' | 's3';
  /** New media may be stored here. */
  readonly writable: boolean;
  /** The built-in `openvod-default`. */
  readonly builtIn: boolean;
  readonly blobs: BlobStore;
  /** s3: the bucket (the `s3://<bucket>/<key>` form names it) and the storage's key prefix. */
  readonly bucket: string | undefined;
  readonly prefix: string;
}

export interface StorageRegistry {
  /** OpenVOD's own storage (`openvod-default`). */
  readonly own: Storage;
  /** Where new media go when a request names no StorageLocation. */
  readonly defaultLocation: string;
  get(location: string): Storage | undefined;
  list(): readonly Storage[];
  /** The storage a new media is stored in: the named one (or the default), existing and writable. */
  forNewMedia(location: string | undefined): Storage;
  /** The storage holding an existing media's source; throws if the config no longer declares it. */
  of(location: string): Storage;
  close(): Promise<void>;
}

export interface OpenStoragesInput {
  dataDir: string;
  storages: readonly StorageConfig[];
  log: Logger;
}

export async function openStorages(input: OpenStoragesInput): Promise<StorageRegistry> {
  const byLocation = new Map<string, Storage>();
  const declaredBuiltIn = input.storages.find((s) => s.location === DEFAULT_STORAGE_LOCATION);
  if (!declaredBuiltIn) {
    const fs = createFsBlobStore({ root: join(input.dataDir, 'media') });
    // Writes in flight when a previous process died leave temp files only; they are never
    // visible, and are swept here (the data-dir store is single-process by design).
    const swept = await fs.sweepTemp(0);
    if (swept > 0) input.log.info({ swept }, 'removed temp files left by an earlier process');
    byLocation.set(DEFAULT_STORAGE_LOCATION, {
      location: DEFAULT_STORAGE_LOCATION, type: 'fs', writable: true, builtIn: true, blobs: fs, bucket: undefined, prefix: '',
    });
  }
  for (const c of input.storages) byLocation.set(c.location, await openOne(c));
  const defaultLocation = input.storages.find((s) => s.isDefault)?.location ?? DEFAULT_STORAGE_LOCATION;
  const own = byLocation.get(DEFAULT_STORAGE_LOCATION) as Storage;

  return {
    own,
    defaultLocation,
    get: (location) => byLocation.get(location),
    list: () => [...byLocation.values()],
    forNewMedia(location) {
      const name = location ?? defaultLocation;
      const storage = byLocation.get(name);
      if (!storage) throw new ApiError('InvalidStorage.NotFound', `The storage location "${name}" does not exist.`);
      if (!storage.writable) throw new ApiError('InvalidStorage.ReadOnly', `The storage location "${name}" is read-only: declare it "writable": true to store new media there.`);
      return storage;
    },
    of(location) {
      const storage = byLocation.get(location);
      if (!storage) throw new Error(`The storage location "${location}" is not declared in the configuration any more`);
      return storage;
    },
    async close() {
      await Promise.allSettled([...byLocation.values()].map((s) => s.blobs.close()));
    },
  };
}

async function openOne(c: StorageConfig): Promise<Storage> {
  const builtIn = c.location === DEFAULT_STORAGE_LOCATION;
  if (c.type === 'fs') {
    // A declared fs storage is a directory of plain files (the user's own layout); the built-in
    // one, even when moved elsewhere, keeps the store's managed layout.
    const blobs = createFsBlobStore({ root: c.root, plain: !builtIn });
    return { location: c.location, type: 'fs', writable: c.writable, builtIn, blobs, bucket: undefined, prefix: '' };
  }
  // The AWS SDK is loaded only by deployments that declare an s3 storage (it is large).
  const { createS3BlobStore } = await import('../blob/s3-blob-store.js');
  const blobs = createS3BlobStore({
    endpoint: c.endpoint, region: c.region, bucket: c.bucket, prefix: c.prefix, forcePathStyle: c.forcePathStyle,
    ...(c.accessKeyId === undefined ? {} : { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey }),
  });
  return { location: c.location, type: 's3', writable: c.writable, builtIn, blobs, bucket: c.bucket, prefix: c.prefix };
}
