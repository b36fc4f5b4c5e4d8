// `dir:<path>`: a local directory tree, pushed through the SDK uploader.
//
// - Walk order is stable: depth first, the entries of each directory sorted by name (code units,
//   not locale), so every listing yields the same items in the same order.
// - Hidden entries (names starting with `.`) are skipped, files and directories alike.
// - Symbolic links are never followed: one that points inside the tree names something listed at
//   its own path already; one that points outside is skipped with a `SymlinkOutsideRoot` warning.
//   `open()` refuses a path that has become a link since the listing (O_NOFOLLOW) or that leaves
//   the root.
// - Item id = the path relative to the root with `/` separators; size and mtime from lstat.
import { constants } from 'node:fs';
import { lstat, open, readdir, readlink, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { MigrateUsageError } from '../migrate.errors.js';
import type { MigrationSource, PushBody, SourceItem } from '../source.js';
import { SourceItemError } from './source.errors.js';
import { type ItemFilter, passesFilter } from './source-filter.js';
import type { SourceOptions } from './source-options.js';

export function createDirSource(spec: string, root: string, filter: ItemFilter, opts: Pick<SourceOptions, 'onWarning'> = {}): MigrationSource {
  const absRoot = resolve(root);
  const realRoot = (async () => {
    try {
      return await realpath(absRoot);
    } catch (err) {
      throw new MigrateUsageError(`The directory ${root} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)}).`, { cause: err });
    }
  })();
  realRoot.catch(() => undefined);

  return {
    kind: 'dir',
    spec,
    defaultMethod: 'push',
    methods: ['push'],
    async *list(signal?: AbortSignal): AsyncGenerator<SourceItem> {
      const top = await realRoot;
      yield* walk(top, '', filter, opts, signal);
    },
    async open(item: SourceItem, signal?: AbortSignal): Promise<PushBody> {
      return openItem(await realRoot, item, signal);
    },
    async close() {},
  };
}

async function* walk(root: string, rel: string, filter: ItemFilter, opts: Pick<SourceOptions, 'onWarning'>, signal?: AbortSignal): AsyncGenerator<SourceItem> {
  let names: string[];
  try {
    names = (await readdir(rel === '' ? root : join(root, rel))).sort(byCodeUnits);
  } catch (err) {
    if (rel === '') throw new MigrateUsageError(`The directory ${root} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)}).`, { cause: err });
    opts.onWarning?.({ code: 'UnreadableEntry', id: rel, message: `${rel}/: cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)}); skipped.` });
    return;
  }
  for (const name of names) {
    if (signal?.aborted) return;
    if (name.startsWith('.')) continue;
    const childRel = rel === '' ? name : `${rel}/${name}`;
    const abs = join(root, ...childRel.split('/'));
    let st: Awaited<ReturnType<typeof lstat>>;
    try {
      st = await lstat(abs);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // removed while walking
      opts.onWarning?.({ code: 'UnreadableEntry', id: childRel, message: `${childRel}: cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)}); skipped.` });
      continue;
    }
    if (st.isSymbolicLink()) {
      if (await pointsOutside(root, abs)) {
        opts.onWarning?.({ code: 'SymlinkOutsideRoot', id: childRel, message: `${childRel}: a symbolic link leading outside ${root}; not followed.` });
      }
      continue;
    }
    if (st.isDirectory()) {
      yield* walk(root, childRel, filter, opts, signal);
      continue;
    }
    if (!st.isFile()) continue;
    if (!passesFilter(filter, { name, size: st.size, modifiedMs: st.mtimeMs })) continue;
    yield { id: childRel, fileName: name, size: st.size, lastModified: st.mtime.toISOString(), extra: {} };
  }
}

const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Where a link leads, resolved as far as it exists; a dangling link is judged by its text. */
async function pointsOutside(root: string, link: string): Promise<boolean> {
  let target: string;
  try {
    target = await realpath(link);
  } catch {
    try {
      target = resolve(dirname(link), await readlink(link));
    } catch {
      return true;
    }
  }
  return !isInside(root, target);
}

const isInside = (root: string, path: string): boolean => {
  const r = relative(root, path);
  return r === '' || (!r.startsWith(`..${sep}`) && r !== '..' && !isAbsolute(r));
};

async function openItem(root: string, item: SourceItem, signal?: AbortSignal): Promise<PushBody> {
  signal?.throwIfAborted();
  const parts = item.id.split('/');
  if (item.id === '' || parts.some((p) => p === '' || p === '.' || p === '..')) {
    throw new SourceItemError('Source.NotFound', `"${item.id}" is not a path inside ${root}.`);
  }
  const abs = join(root, ...parts);
  if (!isInside(root, abs)) throw new SourceItemError('Source.NotFound', `"${item.id}" is not a path inside ${root}.`);
  // The root is a real path, so a directory chain without links resolves to itself; O_NOFOLLOW
  // below covers the last component.
  let realDir: string;
  try {
    realDir = await realpath(dirname(abs));
  } catch (err) {
    throw new SourceItemError('Source.NotFound', `${item.id} no longer exists.`, { cause: err });
  }
  if (realDir !== dirname(abs)) throw new SourceItemError('Source.NotFound', `${item.id}: a directory on its path has become a symbolic link; not followed.`);
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(abs, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new SourceItemError('Source.NotFound', `${item.id} no longer exists.`, { cause: err });
    if (code === 'ELOOP') throw new SourceItemError('Source.NotFound', `${item.id} has become a symbolic link; not followed.`, { cause: err });
    if (code === 'EACCES' || code === 'EPERM') throw new SourceItemError('Source.AccessDenied', `${item.id} cannot be read (${code}).`, { cause: err });
    throw new SourceItemError('Source.Failed', `${item.id} cannot be opened (${code ?? String(err)}).`, { cause: err });
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new SourceItemError('Source.NotFound', `${item.id} is no longer a regular file.`);
    const stream = handle.createReadStream({ signal });
    return { stream, size: st.size };
  } catch (err) {
    await handle.close();
    throw err;
  }
}
