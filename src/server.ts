// Wires one OpenVOD process: store, blob store, API and/or workers, by role. Start-up order is
// store → migrations → keys → blobs → workers → HTTP; shutdown runs the reverse, every step even
// when one fails, and only once.
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './api/app.js';
import { mergeActions, type ServiceDeps } from './api/rpc/action.js';
import { ensureRootKey } from './auth/access-key.service.js';
import type { BlobStore } from './blob/blob-store.js';
import { setDirectWrites } from './blob/block-writer.js';
import { categoryActions } from './categories/category.actions.js';
import type { Config } from './config/config.js';
import { sleepJobHandler } from './jobs/diagnostic.handler.js';
import { createJobRegistry } from './jobs/job-registry.js';
import { createWorker, type Worker } from './jobs/worker.js';
import type { Logger } from './logger.js';
import { mediaPurgeHandler } from './videos/media-purge.handler.js';
import { registerPlaybackRoutes } from './playback/playback.route.js';
import { randomSecret, ensureSetting } from './settings/settings.repository.js';
import { openStore, type Store } from './store/db.js';
import { migrateToLatest } from './store/migrate.js';
import { videoActions } from './videos/video.actions.js';
import { createGuardedAgent } from './ingest/ssrf-guard.js';
import { createHostLimiter } from './ingest/host-limiter.js';
import { chooseTool } from './media/ffmpeg-binaries.js';
import { orderLibrariesOnFirstUse } from './media/library-order.js';
import { toolRunner } from './media/tool-runner.js';
import { useToolZygotes } from './media/tool-zygote.js';
import { nativeLanes, setNativeMd5 } from './ingest/md5-native.js';
import { playInfoActions } from './playback/play-info.actions.js';
import type { IngestDeps } from './url-uploads/url-ingest.deps.js';
import { reconcileOrphanedUrlJobs, urlIngestHandler } from './url-uploads/url-ingest.handler.js';
import { urlUploadActions } from './url-uploads/url-upload.actions.js';
import { notifyActions } from './notify/notify.actions.js';
import { uploadActions } from './uploads/upload.actions.js';
import { registerUploadEndpoint } from './uploads/oss.route.js';
import { uploadAnalyseHandler } from './uploads/upload-analyse.handler.js';
import { sweepStaleUploads } from './uploads/oss-object.service.js';
import { purgeExpiredCredentials } from './uploads/upload.repository.js';
import { startCallbackDispatcher } from './notify/notify.wiring.js';
import { registerActions } from './register/register.actions.js';
import { searchActions } from './search/search.actions.js';
import { registerAnalyseHandler } from './register/register-analyse.handler.js';
import { storageActions } from './storage/storage.actions.js';
import { openStorages } from './storage/storage-registry.js';

export interface RunningServer {
  readonly url: string | undefined;
  readonly rootKey: { accessKeyId: string; accessKeySecret: string; generated: boolean };
  /** Graceful: stop accepting, finish in-flight requests, let running jobs finish (up to `drainMs`). */
  close(drainMs?: number): Promise<void>;
}

export async function startServer(config: Config, log: Logger): Promise<RunningServer> {
  const clock = () => Date.now();
  const cleanups: Array<() => Promise<void>> = [];
  let ready = false;
  try {
    const store: Store = openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    cleanups.push(() => store.close());
    await migrateToLatest(store);

    const root = await ensureRootKey(store.db, {
      dataDir: config.dataDir, accessKeyId: config.rootAccessKeyId, accessKeySecret: config.rootAccessKeySecret, nowMs: clock(),
    });
    const playbackKey = config.playback.authKey ?? (await ensureSetting(store.db, 'playback.authKey', randomSecret));

    setDirectWrites(config.directWrites);
    setNativeMd5(config.nativeMd5);
    const storages = await openStorages({ dataDir: config.dataDir, storages: config.storages, log });
    cleanups.push(() => storages.close());
    const blobs: BlobStore = storages.own.blobs;

    let worker: Worker | undefined;
    const deps: ServiceDeps = {
      config, store, blobs, storages, log, playbackKey, clock,
      notifyWorkers: () => worker?.notify(),
    };

    if (config.role !== 'api') {
      const ffprobe = chooseTool('ffprobe', { configured: config.media.ffprobePath, pathEnv: config.pathEnv, prefer: config.media.tools });
      const ffmpeg = chooseTool('ffmpeg', { configured: config.media.ffmpegPath, pathEnv: config.pathEnv, prefer: config.media.tools });
      log.info({ ffprobe, ffmpeg, preference: config.media.tools }, 'media tools');
      if (config.media.preloadLibraries) orderLibrariesOnFirstUse((path, outcome) => log.info({ path, ...outcome }, 'media tool libraries'));
      if (config.media.zygote) {
        const library = useToolZygotes();
        toolRunner().onZygoteEvent = (e) => log.info(e, 'media tool zygote');
        if (library === undefined) log.info('media tool zygotes: the library is not built (scripts/build-native.js); each run starts a process');
      }
      log.info({ kernel: nativeLanes()?.isa ?? 'webassembly' }, 'MD5 lanes');
      const ingest: IngestDeps = {
        config, store, blobs, storages, log: log.child({ component: 'ingest' }), clock,
        agent: createGuardedAgent({ allowPrivate: config.allowPrivateNetworks, connectTimeoutMs: config.ingest.connectTimeoutMs }),
        hostLimiter: createHostLimiter({ perHost: config.ingest.perHostConcurrency, global: config.ingest.globalConcurrency }),
        fetchLimits: {
          maxBytes: config.ingest.maxSourceBytes, stallTimeoutMs: config.ingest.stallTimeoutMs, maxRedirects: config.ingest.maxRedirects,
          maxAttempts: config.ingest.fetchAttempts, retryBaseMs: config.ingest.retryBaseMs, retryCapMs: config.ingest.retryCapMs,
          connectTimeoutMs: config.ingest.connectTimeoutMs, headersTimeoutMs: config.ingest.stallTimeoutMs,
        },
        stagingDir: join(config.dataDir, 'staging'),
        ffprobePath: ffprobe.primary.path,
        ffmpegPath: ffmpeg.primary.path,
        ffprobeFallbackPath: ffprobe.fallback?.path,
        ffmpegFallbackPath: ffmpeg.fallback?.path,
        coverMaxWidth: config.media.coverMaxWidth,
        runAttempts: config.ingest.jobRunAttempts,
        retryBaseMs: config.ingest.jobRetryBaseMs,
        progressEveryMs: 1000,
      };
      cleanups.push(() => ingest.agent.close());
      const registry = createJobRegistry([mediaPurgeHandler(deps), sleepJobHandler, urlIngestHandler(ingest), uploadAnalyseHandler(ingest), registerAnalyseHandler(ingest)]);
      worker = createWorker({
        store,
        registry,
        workerId: `${hostname()}:${process.pid}`,
        concurrency: config.worker.concurrency,
        leaseMs: config.worker.leaseMs,
        heartbeatMs: config.worker.heartbeatMs,
        pollMs: config.worker.pollMs,
        log: log.child({ component: 'worker' }),
      });
      const w = worker;
      cleanups.push(() => w.close());
      w.start();
      const callbacks = startCallbackDispatcher({ config, store, log, processId: `${hostname()}:${process.pid}` });
      cleanups.push(() => callbacks.close());
      const reconcile = setInterval(() => {
        reconcileOrphanedUrlJobs(ingest).catch((err: unknown) => log.warn({ err }, 'url job reconciliation failed'));
      }, 30_000);
      reconcile.unref();
      cleanups.push(async () => clearInterval(reconcile));
    }

    let app: FastifyInstance | undefined;
    let url: string | undefined;
    if (config.role !== 'worker') {
      const a = buildApp({
        deps,
        actions: mergeActions(videoActions, categoryActions, urlUploadActions, playInfoActions, notifyActions, uploadActions, registerActions, storageActions, searchActions),
        routes: [registerPlaybackRoutes, registerUploadEndpoint],
        isReady: () => ready,
      });
      app = a;
      // The nonces other processes recorded: read before the first request, then kept up with.
      const catchUpNonces = (): void => {
        try {
          store.nonces.catchUp();
        } catch (err) {
          log.warn({ err }, 'reading other processes\' nonces failed');
        }
      };
      catchUpNonces();
      const nonceTimer = setInterval(catchUpNonces, 1000);
      nonceTimer.unref();
      cleanups.push(async () => clearInterval(nonceTimer));
      url = await a.listen({ host: config.host, port: config.port });
      const timer = setInterval(() => {
        store.nonces.purgeExpired(clock()).catch((err: unknown) => log.warn({ err }, 'nonce purge failed'));
        // Upload credentials a day past expiry, and multipart uploads nobody finished.
        purgeExpiredCredentials(store.db, clock(), 86_400_000).catch((err: unknown) => log.warn({ err }, 'upload credential purge failed'));
        sweepStaleUploads(deps, clock()).catch((err: unknown) => log.warn({ err }, 'stale multipart upload sweep failed'));
      }, 60_000);
      timer.unref();
      cleanups.push(async () => clearInterval(timer));
    }

    ready = true;
    let closing: Promise<void> | undefined;
    return {
      url,
      rootKey: { accessKeyId: root.key.accessKeyId, accessKeySecret: root.key.accessKeySecret, generated: root.generated },
      close(drainMs = 10_000) {
        closing ??= (async () => {
          ready = false;
          if (app) await app.close().catch((err: unknown) => log.error({ err }, 'http close failed'));
          if (worker) {
            // Running jobs get drainMs to finish; the rest are aborted and their leases released
            // by close() (in the cleanups), so another worker picks them up at once.
            const drained = worker.drain().catch((err: unknown) => log.error({ err }, 'worker drain failed'));
            await Promise.race([drained, new Promise((r) => setTimeout(r, drainMs).unref())]);
          }
          await runAll(cleanups.reverse(), log);
        })();
        return closing;
      },
    };
  } catch (err) {
    await runAll(cleanups.reverse(), log);
    throw err;
  }
}

async function runAll(steps: ReadonlyArray<() => Promise<void>>, log: Logger): Promise<void> {
  for (const step of steps) {
    try {
      await step();
    } catch (err) {
      log.error({ err }, 'shutdown step failed');
    }
  }
}
