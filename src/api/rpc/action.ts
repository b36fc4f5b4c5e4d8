import type { AccessKey } from '../../auth/access-key.repository.js';
import type { BlobStore } from '../../blob/blob-store.js';
import type { Config } from '../../config/config.js';
import type { Logger } from '../../logger.js';
import type { StorageRegistry } from '../../storage/storage-registry.js';
import type { Store } from '../../store/db.js';
import type { Params } from './params.js';

/** What every action handler may use. Built once per process; nothing else is global. */
export interface ServiceDeps {
  readonly config: Config;
  readonly store: Store;
  /** OpenVOD's own storage (`openvod-default`): covers, snapshots, upload parts, images. */
  readonly blobs: BlobStore;
  /** Every storage by location; a media's source is in `storages.of(video.storage_location)`. */
  readonly storages: StorageRegistry;
  readonly log: Logger;
  /** Type-A signing key for playback and file URLs. */
  readonly playbackKey: string;
  readonly clock: () => number;
  /** Wakes local workers after new jobs were committed (no-op in an api-only process). */
  readonly notifyWorkers: () => void;
}

export interface ActionContext {
  readonly deps: ServiceDeps;
  readonly requestId: string;
  readonly accessKey: AccessKey;
  readonly log: Logger;
  readonly nowMs: number;
}

/** An action returns the operation's fields; RequestId is added by the dispatcher. */
export type ActionHandler = (ctx: ActionContext, params: Params) => Promise<Record<string, unknown>>;

export type ActionTable = Readonly<Record<string, ActionHandler>>;

/** Joins per-family tables, refusing a name defined twice. */
export function mergeActions(...tables: ActionTable[]): ActionTable {
  const all: Record<string, ActionHandler> = {};
  for (const t of tables) {
    for (const [name, handler] of Object.entries(t)) {
      if (all[name]) throw new Error(`action ${name} is defined twice`);
      all[name] = handler;
    }
  }
  return Object.freeze(all);
}
