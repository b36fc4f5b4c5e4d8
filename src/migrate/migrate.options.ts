// `openvod migrate` options, read once and checked completely: every bad value is reported
// together (MigrateUsageError, exit 2), and the result is frozen. Pure: the environment is passed in.
import type { SourceOptions } from './sources/index.js';
import { MigrateUsageError } from './migrate.errors.js';
import { parseRewrite, type RewriteRule } from './rewrite.js';
import type { MigrationMethod } from './source.js';
import type { RunOptions } from './run/run-context.js';
import { DEFAULT_OTHER_RPS, DEFAULT_RPS } from './target/qps-defaults.js';

/** The flags as commander hands them over (strings, booleans, repeatable lists). */
export interface MigrateFlags {
  source?: string; endpoint?: string; state?: string; method?: string;
  accessKeyId?: string; accessKeySecret?: string;
  s3Endpoint?: string; s3Region?: string; s3AccessKeyId?: string; s3SecretAccessKey?: string; s3ForcePathStyle?: boolean;
  ext?: string; minSize?: string; maxSize?: string; modifiedAfter?: string; modifiedBefore?: string;
  vodAccessKeyId?: string; vodAccessKeySecret?: string; vodMatch?: string;
  storageLocation?: string; templateGroupId?: string; cateId?: string; appId?: string;
  maxInFlight?: string; rps?: string[]; rewrite?: string[];
  callbackListen?: string; callbackUrl?: string; callbackAuthKey?: string;
  retryFailed?: boolean; dryRun?: boolean; json?: boolean;
  pollInterval?: string; concurrency?: string; verifyTolerance?: string; urlExpiry?: string; pushAttempts?: string;
  partSize?: string; requestTimeout?: string;
}

export interface MigrateConfig {
  readonly sourceSpec: string;
  readonly sourceOptions: SourceOptions;
  readonly endpoint: string;
  readonly ledgerPath: string;
  /** Undefined = the source's default. */
  readonly method: MigrationMethod | undefined;
  readonly credentials: { readonly accessKeyId: string; readonly accessKeySecret: string } | undefined;
  readonly run: Omit<RunOptions, 'method'>;
  readonly rates: Readonly<Record<string, number>>;
  readonly defaultRate: number;
  readonly callback: { readonly listen: string; readonly publicUrl: string | undefined; readonly authKey: string | undefined } | undefined;
  readonly dryRun: boolean;
  readonly json: boolean;
  readonly partSizeBytes: number;
  readonly requestTimeoutMs: number;
}

export const DEFAULTS = Object.freeze({
  maxInFlight: 50, pollIntervalS: 5, callbackPollIntervalS: 60, concurrency: 4, verifyToleranceS: 1, urlExpiryS: 86_400, pushAttempts: 3,
  partSizeMiB: 8, requestTimeoutS: 30,
});

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3, t: 1024 ** 4, tb: 1024 ** 4, tib: 1024 ** 4 };

/** Bytes from `1048576`, `10M`, `1.5GiB` … (units are binary: 1K = 1024). */
export function parseSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/.exec(text);
  const unit = SIZE_UNITS[(m?.[2] ?? '').toLowerCase()];
  if (!m || unit === undefined) return undefined;
  const n = Math.round(Number(m[1]) * unit);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** `--rps Action=n` (repeatable; `*=n` sets every operation). */
export function parseRates(list: readonly string[]): { rates: Record<string, number>; all?: number; problems: string[] } {
  const rates: Record<string, number> = {};
  const problems: string[] = [];
  let all: number | undefined;
  for (const item of list) {
    const m = /^\s*([A-Za-z*]+)\s*=\s*(\d+(?:\.\d+)?)\s*$/.exec(item);
    const n = m ? Number(m[2]) : NaN;
    if (!m || !(n > 0)) {
      problems.push(`--rps "${item}": expected <Action>=<requests per second> (e.g. GetURLUploadInfos=50, or *=20)`);
      continue;
    }
    if (m[1] === '*') all = n;
    else rates[m[1] as string] = n;
  }
  return { rates, all, problems };
}

export function parseMigrateFlags(flags: MigrateFlags, env: Readonly<Record<string, string | undefined>>, opts: { needTarget: boolean }): MigrateConfig {
  const problems: string[] = [];
  const num = (name: string, v: string | undefined, def: number, check: (n: number) => boolean, what: string): number => {
    if (v === undefined) return def;
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || !check(n)) {
      problems.push(`--${name} "${v}": ${what}`);
      return def;
    }
    return n;
  };
  const posInt = (name: string, v: string | undefined, def: number): number => num(name, v, def, (n) => Number.isInteger(n) && n > 0, 'a positive integer');
  const size = (name: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = parseSize(v);
    if (n === undefined) problems.push(`--${name} "${v}": a size in bytes, e.g. 1048576, 10M or 2GiB`);
    return n;
  };
  const date = (name: string, v: string | undefined): Date | undefined => {
    if (v === undefined) return undefined;
    const ms = Date.parse(v);
    if (Number.isNaN(ms)) problems.push(`--${name} "${v}": an ISO-8601 date or time, e.g. 2024-05-01 or 2024-05-01T08:00:00Z`);
    return Number.isNaN(ms) ? undefined : new Date(ms);
  };

  if (!flags.source) problems.push('--source is required (urls:<file>, s3://<bucket>/<prefix>, dir:<path> or vod:<endpoint>)');
  if (!flags.state) problems.push('--state is required: the ledger file that makes the migration resumable');
  let endpoint = flags.endpoint ?? '';
  if (opts.needTarget) {
    if (!endpoint) problems.push('--endpoint is required: the target VOD API, e.g. http://127.0.0.1:8080 or https://vod.cn-shanghai.aliyuncs.com');
    else if (!/^https?:\/\/[^\s/]+/i.test(endpoint)) problems.push(`--endpoint "${endpoint}": an http(s) URL`);
  }
  endpoint = endpoint.replace(/\/+$/, '');
  const method = flags.method;
  if (method !== undefined && method !== 'pull' && method !== 'push' && method !== 'register') problems.push(`--method "${method}": pull, push or register`);

  const accessKeyId = flags.accessKeyId ?? env.ALIBABA_CLOUD_ACCESS_KEY_ID ?? env.OPENVOD_ACCESS_KEY_ID;
  const accessKeySecret = flags.accessKeySecret ?? env.ALIBABA_CLOUD_ACCESS_KEY_SECRET ?? env.OPENVOD_ACCESS_KEY_SECRET;
  const credentials = accessKeyId && accessKeySecret ? { accessKeyId, accessKeySecret } : undefined;
  if (opts.needTarget && !credentials) {
    problems.push('no access key for the target: --access-key-id/--access-key-secret, or ALIBABA_CLOUD_ACCESS_KEY_ID/ALIBABA_CLOUD_ACCESS_KEY_SECRET');
  }

  const rewrites: RewriteRule[] = [];
  for (const r of flags.rewrite ?? []) {
    try {
      rewrites.push(parseRewrite(r));
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  const rps = parseRates(flags.rps ?? []);
  problems.push(...rps.problems);

  const listen = flags.callbackListen;
  if (listen === undefined && (flags.callbackUrl !== undefined || flags.callbackAuthKey !== undefined)) {
    problems.push('--callback-url and --callback-auth-key need --callback-listen');
  }
  if (flags.callbackUrl !== undefined && !/^https?:\/\/\S+$/i.test(flags.callbackUrl)) problems.push(`--callback-url "${flags.callbackUrl}": an http(s) URL`);
  if (listen !== undefined && !/^(\[[^\]]+\]|[^:\s]+):\d{1,5}$/.test(listen)) problems.push(`--callback-listen "${listen}": host:port, e.g. 127.0.0.1:9000`);

  const pollS = num('poll-interval', flags.pollInterval, listen !== undefined ? DEFAULTS.callbackPollIntervalS : DEFAULTS.pollIntervalS, (n) => n > 0, 'seconds, > 0');
  const cateIdText = flags.cateId;
  const defaultCateId = cateIdText === undefined ? undefined : num('cate-id', cateIdText, 0, (n) => Number.isInteger(n), 'an integer category id');
  const ext = flags.ext?.split(',').map((e) => e.trim().replace(/^\./, '').toLowerCase()).filter(Boolean);
  if (flags.ext !== undefined && (ext?.length ?? 0) === 0) problems.push(`--ext "${flags.ext}": a comma-separated list, e.g. mp4,mov`);

  const sourceOptions: SourceOptions = {
    s3Endpoint: flags.s3Endpoint, s3Region: flags.s3Region, s3AccessKeyId: flags.s3AccessKeyId, s3SecretAccessKey: flags.s3SecretAccessKey,
    s3ForcePathStyle: flags.s3ForcePathStyle, extensions: ext, minSize: size('min-size', flags.minSize), maxSize: size('max-size', flags.maxSize),
    modifiedAfter: date('modified-after', flags.modifiedAfter), modifiedBefore: date('modified-before', flags.modifiedBefore),
    vodAccessKeyId: flags.vodAccessKeyId, vodAccessKeySecret: flags.vodAccessKeySecret, vodMatch: flags.vodMatch,
  };
  const run: Omit<RunOptions, 'method'> = {
    maxInFlight: posInt('max-in-flight', flags.maxInFlight, DEFAULTS.maxInFlight),
    pollIntervalMs: Math.round(pollS * 1000),
    pushConcurrencyPerHost: posInt('concurrency', flags.concurrency, DEFAULTS.concurrency),
    pushAttempts: posInt('push-attempts', flags.pushAttempts, DEFAULTS.pushAttempts),
    verifyToleranceS: num('verify-tolerance', flags.verifyTolerance, DEFAULTS.verifyToleranceS, (n) => n >= 0, 'seconds, ≥ 0'),
    retryFailed: flags.retryFailed ?? false,
    rewrites,
    placement: { templateGroupId: flags.templateGroupId, storageLocation: flags.storageLocation, appId: flags.appId },
    defaultCateId,
    urlExpiresInS: posInt('url-expiry', flags.urlExpiry, DEFAULTS.urlExpiryS),
    sessionReuseMs: 8 * 60_000,
  };
  const partMiB = num('part-size', flags.partSize, DEFAULTS.partSizeMiB, (n) => n >= 0.1 && n <= 5120, 'MiB, from 0.1 to 5120');
  const requestTimeoutS = num('request-timeout', flags.requestTimeout, DEFAULTS.requestTimeoutS, (n) => n > 0, 'seconds, > 0');
  if (problems.length > 0) throw new MigrateUsageError(problems.join('\n'));

  const rates: Record<string, number> = {};
  for (const k of Object.keys(DEFAULT_RPS)) rates[k] = rps.all ?? (DEFAULT_RPS[k] as number);
  Object.assign(rates, rps.rates);
  return Object.freeze({
    sourceSpec: flags.source as string,
    sourceOptions: Object.freeze(sourceOptions),
    endpoint,
    ledgerPath: flags.state as string,
    method: method as MigrationMethod | undefined,
    credentials,
    run: Object.freeze(run),
    rates: Object.freeze(rates),
    defaultRate: rps.all ?? DEFAULT_OTHER_RPS,
    callback: listen === undefined ? undefined : Object.freeze({ listen, publicUrl: flags.callbackUrl, authKey: flags.callbackAuthKey }),
    dryRun: flags.dryRun ?? false,
    json: flags.json ?? false,
    partSizeBytes: Math.round(partMiB * 1024 * 1024),
    requestTimeoutMs: Math.round(requestTimeoutS * 1000),
  });
}
