// Where the optional native helpers are, once scripts/build-native.js has compiled them into
// dist/native/ (native/*.c; `npm ci` does it). A helper that is missing, or older than its source
// (native/ edited without a rebuild), is not used: the callers then do the same work without it.
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type NativeHelper = 'md5-lanes.node' | 'tool-zygote.so';

const SOURCES: Record<NativeHelper, string> = { 'md5-lanes.node': 'native/md5-lanes.c', 'tool-zygote.so': 'native/tool-zygote.c' };

let root: string | null | undefined;

/** OpenVOD's package folder: the nearest one above this module (in src/ or in dist/) whose package.json is OpenVOD's. */
function packageRoot(): string | null {
  if (root !== undefined) return root;
  root = null;
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    try {
      if ((JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown }).name === 'openvod') return (root = dir);
    } catch {
      // no package.json here, or not readable: look further up
    }
    if (dirname(dir) === dir) return root;
  }
}

/** The helper's path, or undefined when it was not built or its source is newer. */
export function nativeHelper(name: NativeHelper): string | undefined {
  const dir = packageRoot();
  if (dir === null) return undefined;
  const path = join(dir, 'dist/native', name);
  try {
    const built = statSync(path).mtimeMs;
    const source = statSync(join(dir, SOURCES[name]), { throwIfNoEntry: false });
    return source === undefined || built >= source.mtimeMs ? path : undefined;
  } catch {
    return undefined;
  }
}
