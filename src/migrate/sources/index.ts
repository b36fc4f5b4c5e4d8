// Where a migration's items come from: `openSource(spec, options)` checks the spec and the
// options together (every misfit is a `MigrateUsageError`) and returns the source.
//
//   urls:<file>             a URL list (text, CSV, JSON Lines)      pull
//   s3://<bucket>/<prefix>  an S3/OSS bucket                        pull (default), push, register
//   dir:<path>              a local directory tree                  push
//   vod:<endpoint-url>      another VOD account (OpenVOD/ApsaraVideo) pull (default), push
import { statSync } from 'node:fs';
import { MigrateUsageError } from '../migrate.errors.js';
import type { MigrationSource } from '../source.js';
import { createDirSource } from './dir.source.js';
import { createS3Source } from './s3.source.js';
import type { SourceOptions } from './source-options.js';
import { buildItemFilter, checkOptionsFit, parseSourceSpec } from './source-spec.js';
import { createUrlListSource } from './url-list.source.js';
import { createVodSource } from './vod.source.js';

export type { SourceOptions, SourceWarning, SourceWarningCode } from './source-options.js';
export { SourceItemError } from './source.errors.js';
export type { SourceErrorCode } from './source.errors.js';
export { DEFAULT_EXTENSIONS } from './source-filter.js';
export { MIGRATABLE_STATUSES } from './vod-search.js';

export function openSource(spec: string, opts: SourceOptions = {}): MigrationSource {
  const parsed = parseSourceSpec(spec);
  checkOptionsFit(parsed, opts);
  switch (parsed.kind) {
    case 'urls':
      requirePath(parsed.file, 'file', 'The URL list');
      return createUrlListSource(spec, parsed.file, opts);
    case 'dir':
      requirePath(parsed.path, 'directory', 'The directory');
      return createDirSource(spec, parsed.path, buildItemFilter(opts), opts);
    case 's3':
      return createS3Source(spec, { bucket: parsed.bucket, prefix: parsed.prefix, filter: buildItemFilter(opts), options: opts });
    case 'vod':
      return createVodSource(spec, {
        endpoint: parsed.endpoint,
        // checkOptionsFit made sure both keys are there.
        accessKeyId: opts.vodAccessKeyId ?? '',
        accessKeySecret: opts.vodAccessKeySecret ?? '',
        match: opts.vodMatch,
        onWarning: opts.onWarning,
      });
  }
}

/** The file or directory must exist now (a typo should stop the run at once, not at listing). */
function requirePath(path: string, kind: 'file' | 'directory', label: string): void {
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new MigrateUsageError(`${label} ${path} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? String(err)})`}.`, { cause: err });
  }
  if (kind === 'file' && !st.isFile()) throw new MigrateUsageError(`${label} ${path} is not a file.`);
  if (kind === 'directory' && !st.isDirectory()) throw new MigrateUsageError(`${label} ${path} is not a directory.`);
}
