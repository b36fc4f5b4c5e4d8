import type { Dispatcher } from 'undici';
import type { BlobStore } from '../blob/blob-store.js';
import type { Config } from '../config/config.js';
import type { FetchLimits } from '../ingest/fetch-limits.js';
import type { HostLimiter } from '../ingest/host-limiter.js';
import type { Logger } from '../logger.js';
import type { StorageRegistry } from '../storage/storage-registry.js';
import type { Store } from '../store/db.js';

/** What the URL-ingest pipeline needs; built once per worker process. */
export interface IngestDeps {
  readonly config: Pick<Config, 'publicUrl'>;
  readonly store: Store;
  /** OpenVOD's own storage (covers). */
  readonly blobs: BlobStore;
  /** The source goes to the storage its video's StorageLocation names. */
  readonly storages: StorageRegistry;
  readonly log: Logger;
  readonly clock: () => number;
  /** Undici dispatcher with the SSRF guard on every connection. */
  readonly agent: Dispatcher;
  readonly hostLimiter: HostLimiter;
  readonly fetchLimits: FetchLimits;
  /** Local directory for partial downloads (resumable; same filesystem as the fs blob store). */
  readonly stagingDir: string;
  readonly ffprobePath: string;
  readonly ffmpegPath: string;
  /** Tried on a file the first binary could not read (media.tools = bundled: the PATH ones). */
  readonly ffprobeFallbackPath?: string | undefined;
  readonly ffmpegFallbackPath?: string | undefined;
  readonly coverMaxWidth: number;
  /** Runs of a job for transient fetch failures, and the delay before the next run. */
  readonly runAttempts: number;
  readonly retryBaseMs: number;
  /** How often download progress is written to the job row. */
  readonly progressEveryMs: number;
}
