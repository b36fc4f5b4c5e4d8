// Configuration is read once — from flags, the environment and an optional JSON file — validated
// completely (every bad value reported together), frozen and passed in. Only this module reads
// process.env.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import type { ToolPreference } from '../media/ffmpeg-binaries.js';
import { parseStorages, type StorageConfig } from '../storage/storage.config.js';

const TOOL_PREFERENCES = ['path', 'bundled'] as const satisfies readonly ToolPreference[];

export type Role = 'api' | 'worker' | 'all';

export interface Config {
  readonly dataDir: string;
  readonly host: string;
  readonly port: number;
  /** Base URL clients use to reach this server (playback and upload URLs are built from it). */
  readonly publicUrl: string;
  readonly role: Role;
  readonly databaseUrl: string | undefined;
  readonly rootAccessKeyId: string | undefined;
  readonly rootAccessKeySecret: string | undefined;
  readonly allowPrivateNetworks: boolean;
  /** Files written past the page cache (O_DIRECT) where the filesystem allows (src/blob/block-writer.ts). */
  readonly directWrites: boolean;
  /** MD5 of many downloads at once in the native eight-lane kernel where it was built (src/ingest/md5-native.ts). */
  readonly nativeMd5: boolean;
  readonly regionId: string;
  readonly logLevel: string;
  readonly api: {
    readonly maxBodyBytes: number;
    readonly timestampWindowMs: number;
  };
  readonly playback: {
    /** Type-A URL-signing key; generated and kept in the metadata store when not configured. */
    readonly authKey: string | undefined;
    /** How long a signed URL is valid by default. */
    readonly authTtlS: number;
  };
  readonly ingest: {
    /** Largest source accepted (ApsaraVideo's limit is 20 GB). */
    readonly maxSourceBytes: number;
    /** No bytes for this long = a stalled transfer (there is no total timeout). */
    readonly stallTimeoutMs: number;
    readonly connectTimeoutMs: number;
    readonly maxRedirects: number;
    /** Network-level attempts within one run of a job (the queue adds runs on top). */
    readonly fetchAttempts: number;
    readonly retryBaseMs: number;
    readonly retryCapMs: number;
    /** Concurrent downloads per source host, and in all, per worker process. */
    readonly perHostConcurrency: number;
    readonly globalConcurrency: number;
    /** Runs of a job for transient failures (stall, 5xx, connect …); each run resumes the download. */
    readonly jobRunAttempts: number;
    /** Delay before the next run: exponential from this, with jitter, capped at 10 minutes. */
    readonly jobRetryBaseMs: number;
  };
  readonly media: {
    readonly ffmpegPath: string | undefined;
    readonly ffprobePath: string | undefined;
    /** Which ffmpeg/ffprobe when no path is configured (see src/media/ffmpeg-binaries.ts). */
    readonly tools: ToolPreference;
    /** Preload a dynamically linked tool's libraries in a checked, faster order (src/media/library-order.ts). */
    readonly preloadLibraries: boolean;
    /** Fork a dynamically linked tool's runs from one started instance of it (src/media/tool-zygote.ts). */
    readonly zygote: boolean;
    readonly coverMaxWidth: number;
  };
  /** PATH, for finding ffmpeg/ffprobe. */
  readonly pathEnv: string | undefined;
  readonly worker: {
    readonly concurrency: number;
    readonly leaseMs: number;
    readonly heartbeatMs: number;
    readonly pollMs: number;
  };
  /** Uploads through the OSS-compatible endpoint (src/uploads, docs/uploads.md). */
  readonly upload: {
    /** Lifetime of an UploadAuth credential (ApsaraVideo: 3000 s). */
    readonly credentialTtlS: number;
    /** The bucket name UploadAddress carries (and the Host header names). */
    readonly bucket: string;
    /** Largest PutObject body and largest part (OSS: 5 GB). */
    readonly maxPutBytes: number;
    /** Largest object, however uploaded. */
    readonly maxObjectBytes: number;
    /** Multipart uploads neither completed nor aborted are removed after this long. */
    readonly multipartExpiryMs: number;
  };
  /** Storages declared in the config file (src/storage); the built-in one is implicit. */
  readonly storages: readonly StorageConfig[];
  /** Event callbacks (src/notify): delivery timing and the retry schedule. */
  readonly notify: {
    /** Callbacks in flight at once, per worker process. */
    readonly concurrency: number;
    readonly pollMs: number;
    /** How long a claimed delivery is held before another process may take it over. */
    readonly leaseMs: number;
    /** No response within this = a failed attempt (ApsaraVideo: 5 s). */
    readonly timeoutMs: number;
    /** The first retries, after the 1st, 2nd … failure. */
    readonly retryDelaysMs: readonly number[];
    /** Then exponential backoff from this, capped at backoffCapMs … */
    readonly backoffBaseMs: number;
    readonly backoffCapMs: number;
    /** … until this long after the event; then the delivery is dead (redeliverable). */
    readonly retryHorizonMs: number;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

const port = z.number().int().min(0).max(65535);
const positiveMs = z.number().int().positive();

/** What the JSON config file may hold (every key optional; flags and env win over it). */
const fileSchema = z
  .object({
    dataDir: z.string().min(1),
    host: z.string().min(1),
    port,
    publicUrl: z.string().url(),
    role: z.enum(['api', 'worker', 'all']),
    regionId: z.string().regex(/^[a-z0-9-]+$/),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    directWrites: z.boolean(),
    nativeMd5: z.boolean(),
    api: z.object({ maxBodyBytes: z.number().int().min(1024), timestampWindowMs: positiveMs }).partial().strict(),
    playback: z
      .object({ authKey: z.string().min(16).max(128), authTtlS: z.number().int().min(1).max(31_536_000) })
      .partial()
      .strict(),
    ingest: z
      .object({
        maxSourceBytes: z.number().int().min(1),
        stallTimeoutMs: positiveMs,
        connectTimeoutMs: positiveMs,
        maxRedirects: z.number().int().min(0).max(20),
        fetchAttempts: z.number().int().min(1).max(100),
        retryBaseMs: positiveMs,
        retryCapMs: positiveMs,
        perHostConcurrency: z.number().int().min(1).max(1000),
        globalConcurrency: z.number().int().min(1).max(1000),
        jobRunAttempts: z.number().int().min(1).max(7),
        jobRetryBaseMs: positiveMs,
      })
      .partial()
      .strict(),
    media: z
      .object({
        ffmpegPath: z.string().min(1), ffprobePath: z.string().min(1), tools: z.enum(TOOL_PREFERENCES), preloadLibraries: z.boolean(),
        zygote: z.boolean(), coverMaxWidth: z.number().int().min(64).max(7680),
      })
      .partial()
      .strict(),
    worker: z
      .object({ concurrency: z.number().int().min(1).max(256), leaseMs: positiveMs, heartbeatMs: positiveMs, pollMs: positiveMs })
      .partial()
      .strict(),
    upload: z
      .object({
        credentialTtlS: z.number().int().min(60).max(86_400),
        bucket: z.string().regex(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/),
        maxPutBytes: z.number().int().min(1024),
        maxObjectBytes: z.number().int().min(1024),
        multipartExpiryMs: positiveMs,
      })
      .partial()
      .strict(),
    notify: z
      .object({
        concurrency: z.number().int().min(1).max(1000),
        pollMs: positiveMs,
        leaseMs: positiveMs,
        timeoutMs: positiveMs,
        retryDelaysMs: z.array(z.number().int().min(0)).max(20),
        backoffBaseMs: positiveMs,
        backoffCapMs: positiveMs,
        retryHorizonMs: positiveMs,
      })
      .partial()
      .strict(),
    // Validated entry by entry by src/storage/storage.config.ts.
    storages: z.array(z.unknown()),
  })
  .partial()
  .strict();

type FileConfig = z.infer<typeof fileSchema>;

export interface ConfigInputs {
  flags: { dataDir?: string; port?: string; host?: string; publicUrl?: string; config?: string; role?: string };
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}

export function loadConfig(inputs: ConfigInputs): Config {
  const problems: string[] = [];
  let file: FileConfig = {};
  let fileDir = inputs.cwd;
  if (inputs.flags.config !== undefined) {
    const path = resolve(inputs.cwd, inputs.flags.config);
    fileDir = dirname(path);
    try {
      const parsed = fileSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
      if (parsed.success) file = parsed.data;
      else for (const issue of parsed.error.issues) problems.push(`${path}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
    } catch (err) {
      problems.push(`${path}: ${(err as Error).message}`);
    }
  }

  const env = inputs.env;
  const portValue = inputs.flags.port ?? (file.port === undefined ? '8080' : String(file.port));
  const portNumber = Number(portValue);
  if (!/^\d+$/.test(portValue) || !port.safeParse(portNumber).success) problems.push(`--port: "${portValue}" is not a port number (0-65535)`);

  const host = inputs.flags.host ?? file.host ?? '127.0.0.1';
  const role = inputs.flags.role ?? file.role ?? 'all';
  if (role !== 'api' && role !== 'worker' && role !== 'all') problems.push(`--role: "${role}" must be api, worker or all`);

  const displayHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const publicUrl = (inputs.flags.publicUrl ?? file.publicUrl ?? `http://${displayHost}:${portNumber}`).replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]+$/.test(publicUrl)) problems.push(`--public-url: "${publicUrl}" must be an http(s) origin such as https://vod.example.com`);

  const databaseUrl = nonEmpty(env.OPENVOD_DATABASE_URL);
  if (databaseUrl !== undefined && !/^(postgres(ql)?|sqlite):/.test(databaseUrl)) {
    problems.push('OPENVOD_DATABASE_URL: must be a postgres:// URL (or unset for the embedded SQLite store)');
  }
  const rootAccessKeyId = nonEmpty(env.OPENVOD_ACCESS_KEY_ID);
  const rootAccessKeySecret = nonEmpty(env.OPENVOD_ACCESS_KEY_SECRET);
  if ((rootAccessKeyId === undefined) !== (rootAccessKeySecret === undefined)) {
    problems.push('OPENVOD_ACCESS_KEY_ID and OPENVOD_ACCESS_KEY_SECRET must be set together');
  }
  if (rootAccessKeyId !== undefined && !/^[A-Za-z0-9._-]{4,128}$/.test(rootAccessKeyId)) {
    problems.push('OPENVOD_ACCESS_KEY_ID: 4-128 characters of letters, digits, ".", "_" or "-"');
  }
  if (rootAccessKeySecret !== undefined && rootAccessKeySecret.length < 8) problems.push('OPENVOD_ACCESS_KEY_SECRET: at least 8 characters');
  const allowPrivate = envSwitch(env, 'OPENVOD_ALLOW_PRIVATE_NETWORKS', problems);
  const directWritesEnv = envSwitch(env, 'OPENVOD_DIRECT_WRITES', problems);
  const mediaToolsEnv = nonEmpty(env.OPENVOD_MEDIA_TOOLS);
  const mediaTools = TOOL_PREFERENCES.find((t) => t === mediaToolsEnv);
  if (mediaToolsEnv !== undefined && mediaTools === undefined) problems.push(`OPENVOD_MEDIA_TOOLS: must be ${TOOL_PREFERENCES.join(' or ')}, not "${mediaToolsEnv}"`);
  const preloadEnv = envSwitch(env, 'OPENVOD_MEDIA_PRELOAD_LIBRARIES', problems);
  const zygoteEnv = envSwitch(env, 'OPENVOD_MEDIA_ZYGOTE', problems);
  const nativeMd5Env = envSwitch(env, 'OPENVOD_NATIVE_MD5', problems);
  const logLevel = nonEmpty(env.OPENVOD_LOG_LEVEL) ?? file.logLevel ?? 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) problems.push(`OPENVOD_LOG_LEVEL: unknown level "${logLevel}"`);

  const worker = {
    concurrency: file.worker?.concurrency ?? 8,
    leaseMs: file.worker?.leaseMs ?? 30_000,
    heartbeatMs: file.worker?.heartbeatMs ?? 10_000,
    pollMs: file.worker?.pollMs ?? 500,
  };
  if (worker.heartbeatMs >= worker.leaseMs) problems.push('worker.heartbeatMs must be shorter than worker.leaseMs');

  const notify = {
    concurrency: file.notify?.concurrency ?? 16,
    pollMs: file.notify?.pollMs ?? 200,
    leaseMs: file.notify?.leaseMs ?? 30_000,
    timeoutMs: file.notify?.timeoutMs ?? 5_000,
    retryDelaysMs: file.notify?.retryDelaysMs ?? [1_000, 2_000, 5_000],
    backoffBaseMs: file.notify?.backoffBaseMs ?? 10_000,
    backoffCapMs: file.notify?.backoffCapMs ?? 3_600_000,
    retryHorizonMs: file.notify?.retryHorizonMs ?? 86_400_000,
  };
  if (notify.timeoutMs >= notify.leaseMs) problems.push('notify.timeoutMs must be shorter than notify.leaseMs');
  if (notify.backoffCapMs < notify.backoffBaseMs) problems.push('notify.backoffCapMs must be at least notify.backoffBaseMs');

  const upload = {
    credentialTtlS: file.upload?.credentialTtlS ?? 3000,
    bucket: file.upload?.bucket ?? 'outin-openvod',
    maxPutBytes: file.upload?.maxPutBytes ?? 5 * 1024 ** 3,
    maxObjectBytes: file.upload?.maxObjectBytes ?? Math.floor(48.8 * 1024 ** 4),
    multipartExpiryMs: file.upload?.multipartExpiryMs ?? 7 * 86_400_000,
  };
  if (upload.maxPutBytes > upload.maxObjectBytes) problems.push('upload.maxPutBytes must not exceed upload.maxObjectBytes');

  // Relative fs roots are relative to the config file, like any path written in it.
  const storages = parseStorages(file.storages, (p) => resolve(fileDir, p), problems);

  if (problems.length > 0) throw new ConfigError(problems);

  return deepFreeze({
    dataDir: resolve(inputs.cwd, inputs.flags.dataDir ?? file.dataDir ?? './data'),
    host,
    port: portNumber,
    publicUrl,
    role: role as Role,
    databaseUrl,
    rootAccessKeyId,
    rootAccessKeySecret,
    allowPrivateNetworks: allowPrivate ?? false,
    directWrites: directWritesEnv ?? file.directWrites ?? true,
    nativeMd5: nativeMd5Env ?? file.nativeMd5 ?? true,
    regionId: file.regionId ?? 'cn-shanghai',
    logLevel,
    api: {
      maxBodyBytes: file.api?.maxBodyBytes ?? 1024 * 1024,
      timestampWindowMs: file.api?.timestampWindowMs ?? 15 * 60 * 1000,
    },
    playback: { authKey: file.playback?.authKey, authTtlS: file.playback?.authTtlS ?? 1800 },
    ingest: {
      maxSourceBytes: file.ingest?.maxSourceBytes ?? 20 * 1024 ** 3,
      stallTimeoutMs: file.ingest?.stallTimeoutMs ?? 60_000,
      connectTimeoutMs: file.ingest?.connectTimeoutMs ?? 15_000,
      maxRedirects: file.ingest?.maxRedirects ?? 5,
      fetchAttempts: file.ingest?.fetchAttempts ?? 5,
      retryBaseMs: file.ingest?.retryBaseMs ?? 1_000,
      retryCapMs: file.ingest?.retryCapMs ?? 60_000,
      perHostConcurrency: file.ingest?.perHostConcurrency ?? 4,
      globalConcurrency: file.ingest?.globalConcurrency ?? 16,
      jobRunAttempts: file.ingest?.jobRunAttempts ?? 4,
      jobRetryBaseMs: file.ingest?.jobRetryBaseMs ?? 30_000,
    },
    media: {
      ffmpegPath: nonEmpty(env.OPENVOD_FFMPEG_PATH) ?? file.media?.ffmpegPath,
      ffprobePath: nonEmpty(env.OPENVOD_FFPROBE_PATH) ?? file.media?.ffprobePath,
      tools: mediaTools ?? file.media?.tools ?? 'path',
      preloadLibraries: preloadEnv ?? file.media?.preloadLibraries ?? true,
      zygote: zygoteEnv ?? file.media?.zygote ?? true,
      coverMaxWidth: file.media?.coverMaxWidth ?? 1280,
    },
    pathEnv: env.PATH,
    worker,
    notify,
    upload,
    storages,
  });
}

const nonEmpty = (v: string | undefined): string | undefined => (v === undefined || v === '' ? undefined : v);

/** An on/off variable: `1`/`true` or `0`/`false`; undefined when unset or empty; anything else is a problem. */
function envSwitch(env: ConfigInputs['env'], name: string, problems: string[]): boolean | undefined {
  const value = nonEmpty(env[name]);
  if (value === undefined) return undefined;
  if (value === '1' || value === 'true') return true;
  if (value !== '0' && value !== 'false') problems.push(`${name}: must be 1 or 0`);
  return false;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
