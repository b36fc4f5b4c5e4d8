// Whether the bundle may run: dist/openvod.mjs must be newer than every file under src/ (tests
// aside: they are not in it), or the sources are what runs (through tsx). bin/openvod.js decides
// with it, and the benches warn with it when the server they start would run the sources.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function newestSourceMs(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceMs(path));
    else if (!entry.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

export const bundlePath = (root) => join(root, 'dist/openvod.mjs');

export function bundleIsFresh(root) {
  try {
    return statSync(bundlePath(root)).mtimeMs >= newestSourceMs(join(root, 'src'));
  } catch {
    return false;
  }
}
