// `--source <kind>:<where>` and the options that go with it, checked together before anything
// is opened. Pure: every problem is a `MigrateUsageError` naming what to change.
import { isMediaExtension } from '../../domain/media-formats.js';
import { MigrateUsageError } from '../migrate.errors.js';
import { DEFAULT_EXTENSIONS, type ItemFilter } from './source-filter.js';
import type { SourceOptions } from './source-options.js';

export type SourceSpec =
  | { readonly kind: 'urls'; readonly file: string }
  | { readonly kind: 's3'; readonly bucket: string; readonly prefix: string }
  | { readonly kind: 'dir'; readonly path: string }
  | { readonly kind: 'vod'; readonly endpoint: string };

export type SourceKind = SourceSpec['kind'];

const FORMS = '`urls:<file>`, `s3://<bucket>/<prefix>`, `dir:<path>` or `vod:<endpoint-url>`';

export function parseSourceSpec(spec: string): SourceSpec {
  if (spec.startsWith('s3://')) {
    const rest = spec.slice('s3://'.length);
    const slash = rest.indexOf('/');
    const bucket = slash === -1 ? rest : rest.slice(0, slash);
    const prefix = slash === -1 ? '' : rest.slice(slash + 1);
    // Loose on purpose: legacy AWS buckets may hold capitals and underscores.
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/.test(bucket)) {
      throw new MigrateUsageError(`"${spec}": "${bucket}" is not a bucket name; use s3://<bucket>/<prefix>.`);
    }
    return { kind: 's3', bucket, prefix };
  }
  const colon = spec.indexOf(':');
  const kind = colon === -1 ? '' : spec.slice(0, colon);
  const where = colon === -1 ? '' : spec.slice(colon + 1);
  switch (kind) {
    case 'urls':
    case 'dir':
      if (where === '') throw new MigrateUsageError(`"${spec}" names no ${kind === 'urls' ? 'file' : 'directory'}; use ${kind}:<path>.`);
      return kind === 'urls' ? { kind, file: where } : { kind, path: where };
    case 'vod':
      return { kind, endpoint: parseVodEndpoint(spec, where) };
    case 's3':
      throw new MigrateUsageError(`"${spec}": write S3 sources as s3://<bucket>/<prefix>.`);
    default:
      throw new MigrateUsageError(`"${spec}" is not a source; use ${FORMS}.`);
  }
}

/** `vod:http://127.0.0.1:8080`, `vod:https://vod.cn-shanghai.aliyuncs.com`; a bare host means https. */
function parseVodEndpoint(spec: string, where: string): string {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(where) ? where : `https://${where}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new MigrateUsageError(`"${spec}": "${where}" is not an endpoint URL; use e.g. vod:https://vod.cn-shanghai.aliyuncs.com.`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '' || where === '') {
    throw new MigrateUsageError(`"${spec}": the endpoint must be an http(s) URL, e.g. vod:https://vod.cn-shanghai.aliyuncs.com.`);
  }
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new MigrateUsageError(`"${spec}": the endpoint takes no query, fragment or credentials (keys go in their own options).`);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** The options each kind accepts (keys of SourceOptions; `onWarning` fits all). */
const FITS: Record<Exclude<keyof SourceOptions, 'onWarning'>, readonly SourceKind[]> = {
  s3Endpoint: ['s3'],
  s3Region: ['s3'],
  s3AccessKeyId: ['s3'],
  s3SecretAccessKey: ['s3'],
  s3ForcePathStyle: ['s3'],
  extensions: ['s3', 'dir'],
  minSize: ['s3', 'dir'],
  maxSize: ['s3', 'dir'],
  modifiedAfter: ['s3', 'dir'],
  modifiedBefore: ['s3', 'dir'],
  vodAccessKeyId: ['vod'],
  vodAccessKeySecret: ['vod'],
  vodMatch: ['vod'],
};

/**
 * Every option that is set must fit the source; all misfits are reported together. Options left
 * `undefined` count as not given (a CLI should not fill in defaults for other kinds' options).
 */
export function checkOptionsFit(spec: SourceSpec, opts: SourceOptions): void {
  const problems: string[] = [];
  for (const [name, kinds] of Object.entries(FITS) as [keyof typeof FITS, readonly SourceKind[]][]) {
    if (opts[name] !== undefined && !kinds.includes(spec.kind)) {
      problems.push(`${name} applies to ${kinds.map((k) => `${k}:`).join(' and ')} sources, not ${spec.kind}:`);
    }
  }
  if (spec.kind === 's3') {
    if ((opts.s3AccessKeyId === undefined) !== (opts.s3SecretAccessKey === undefined)) {
      problems.push('s3AccessKeyId and s3SecretAccessKey go together (or give neither to use the AWS default credential chain)');
    }
    if (opts.s3Endpoint !== undefined && !isHttpUrl(opts.s3Endpoint)) problems.push(`s3Endpoint "${opts.s3Endpoint}" is not an http(s) URL`);
  }
  if (spec.kind === 'vod') {
    if (!opts.vodAccessKeyId || !opts.vodAccessKeySecret) problems.push('a vod: source needs vodAccessKeyId and vodAccessKeySecret (the source account\'s keys)');
    if (opts.vodMatch !== undefined && opts.vodMatch.trim() === '') problems.push('vodMatch is empty');
  }
  if (problems.length > 0) throw new MigrateUsageError(`Options do not fit source "${describeSpec(spec)}": ${problems.join('; ')}.`);
}

/** The extension/size/time filter of an s3: or dir: source; all bad values reported together. */
export function buildItemFilter(opts: SourceOptions): ItemFilter {
  const problems: string[] = [];
  const extensions = new Set<string>();
  for (const raw of opts.extensions ?? DEFAULT_EXTENSIONS) {
    const ext = raw.trim().replace(/^\./, '').toLowerCase();
    if (ext === '') continue;
    if (!isMediaExtension(ext)) problems.push(`extension "${raw}" is not an audio/video format the target accepts`);
    else extensions.add(ext);
  }
  if (extensions.size === 0 && problems.length === 0) problems.push('extensions lists no extension');
  for (const name of ['minSize', 'maxSize'] as const) {
    const v = opts[name];
    if (v !== undefined && (!Number.isSafeInteger(v) || v < 0)) problems.push(`${name} must be a whole number of bytes ≥ 0, not ${v}`);
  }
  if (opts.minSize !== undefined && opts.maxSize !== undefined && opts.minSize > opts.maxSize) {
    problems.push(`minSize (${opts.minSize}) is larger than maxSize (${opts.maxSize})`);
  }
  for (const name of ['modifiedAfter', 'modifiedBefore'] as const) {
    const v = opts[name];
    if (v !== undefined && Number.isNaN(v.getTime())) problems.push(`${name} is not a valid date`);
  }
  const after = opts.modifiedAfter?.getTime();
  const before = opts.modifiedBefore?.getTime();
  if (after !== undefined && before !== undefined && after >= before) problems.push('modifiedAfter must be earlier than modifiedBefore');
  if (problems.length > 0) throw new MigrateUsageError(`Bad filter: ${problems.join('; ')}.`);
  return { extensions, minSize: opts.minSize, maxSize: opts.maxSize, modifiedAfterMs: after, modifiedBeforeMs: before };
}

export function describeSpec(spec: SourceSpec): string {
  switch (spec.kind) {
    case 'urls':
      return `urls:${spec.file}`;
    case 's3':
      return `s3://${spec.bucket}/${spec.prefix}`;
    case 'dir':
      return `dir:${spec.path}`;
    case 'vod':
      return `vod:${spec.endpoint}`;
  }
}

function isHttpUrl(text: string): boolean {
  try {
    const u = new URL(text);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}
