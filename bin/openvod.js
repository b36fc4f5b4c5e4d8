#!/usr/bin/env node
// OpenVOD's entry point. `npm ci` bundles the TypeScript sources into dist/ (scripts/build.js);
// while that bundle is newer than every source file it is what runs, otherwise the sources run
// through tsx — so editing a file never runs stale code, and nothing needs a manual build.
import { fileURLToPath } from 'node:url';
import { bundleIsFresh, bundlePath } from './bundle-freshness.js';

// libuv's thread pool (file I/O, DNS) defaults to 4 threads, which concurrent downloads and
// uploads saturate. It must be sized before its first use, hence first thing here.
process.env.UV_THREADPOOL_SIZE ??= '32';

const root = fileURLToPath(new URL('..', import.meta.url));

let main;
if (process.env.OPENVOD_RUN_SOURCES !== '1' && bundleIsFresh(root)) {
  ({ main } = await import(bundlePath(root)));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
await main(process.argv);
