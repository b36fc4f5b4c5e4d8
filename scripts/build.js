#!/usr/bin/env node
// Bundles the server into dist/openvod.mjs and the SDK into dist/sdk.mjs (dependencies stay external), and
// compiles the optional native helpers (build-native.js). Run by `npm ci`
// (prepare). bin/openvod.js uses the bundle while it is newer than every source file, and runs
// the TypeScript sources through tsx otherwise, so a stale bundle is never used.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

const common = { bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', sourcemap: true, logLevel: 'warning' };
// The server and CLI. Split: a module the code imports dynamically (the S3 blob store) becomes a
// chunk of its own, so the packages it imports (the AWS SDK, ≈ 24 MiB of memory) load only when
// it does — with one file, esbuild hoists every package import to the top, and `serve` on the
// embedded default would load them all.
rmSync('dist', { recursive: true, force: true });
await build({
  ...common, entryPoints: { openvod: 'src/cli/main.ts' }, outdir: 'dist', splitting: true,
  outExtension: { '.js': '.mjs' }, chunkNames: 'chunks/[name]-[hash]',
});
// The SDK, importable as `openvod/sdk`.
await build({ ...common, entryPoints: ['src/sdk/index.ts'], outfile: 'dist/sdk.mjs' });
// The optional native helpers, into dist/native/.
await import('./build-native.js');
