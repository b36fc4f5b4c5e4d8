// Where the filesystem store keeps things under its root:
//
//   objects/<key>             the object's bytes, at a path mirroring the key (so ffprobe,
//                             backups and operators see plain files)
//   meta/<h2>/<sha256>.json   sidecar per key (etag, content type), named by the key's hash so
//                             it can never clash with object paths
//   .tmp/<uuid>[.meta]        writes in flight; renamed into place when complete
//
// Keeping objects in their own subtree means no key is reserved (`.tmp/x` is an ordinary key).
// All three live on one filesystem, so rename() is atomic.
//
// The `plain` layout serves a directory that already holds files (a user's storage, for
// RegisterMedia): objects are the files under the root itself, and the store's own files live
// in `<root>/.openvod/{meta,tmp}` — so keys whose first segment is `.openvod` are reserved there.

import { createHash, randomUUID } from 'node:crypto';
import { join, resolve, sep } from 'node:path';

export interface FsLayout {
  readonly root: string;
  readonly objectsDir: string;
  readonly metaDir: string;
  readonly tmpDir: string;
  /** A first key segment no object may have (the plain layout's own directory), if any. */
  readonly reservedSegment: string | undefined;
}

export const PLAIN_LAYOUT_DIR = '.openvod';

export function fsLayout(root: string, opts: { plain?: boolean | undefined } = {}): FsLayout {
  const abs = resolve(root);
  if (opts.plain === true) {
    return Object.freeze({
      root: abs,
      objectsDir: abs,
      metaDir: join(abs, PLAIN_LAYOUT_DIR, 'meta'),
      tmpDir: join(abs, PLAIN_LAYOUT_DIR, 'tmp'),
      reservedSegment: PLAIN_LAYOUT_DIR,
    });
  }
  return Object.freeze({
    root: abs,
    objectsDir: join(abs, 'objects'),
    metaDir: join(abs, 'meta'),
    tmpDir: join(abs, '.tmp'),
    reservedSegment: undefined,
  });
}

/** Whether `keyOrPrefix` names something in the layout's reserved directory. */
export function isReserved(layout: FsLayout, keyOrPrefix: string): boolean {
  const r = layout.reservedSegment;
  return r !== undefined && (keyOrPrefix === r || keyOrPrefix.startsWith(`${r}/`));
}

/** Path of a (validated) key's object file. */
export function objectPath(layout: FsLayout, key: string): string {
  const path = join(layout.objectsDir, ...key.split('/'));
  // Defence in depth: assertValidKey already rules out anything that could escape.
  if (!path.startsWith(layout.objectsDir + sep)) throw new Error(`Key escapes the object directory: ${key}`);
  return path;
}

export function sidecarPath(layout: FsLayout, key: string): string {
  const hash = createHash('sha256').update(key, 'utf8').digest('hex');
  return join(layout.metaDir, hash.slice(0, 2), `${hash}.json`);
}

export function newTempPath(layout: FsLayout, suffix = ''): string {
  return join(layout.tmpDir, `${randomUUID()}${suffix}`);
}
