#!/usr/bin/env node
// Bundles the server into dist/openvod.mjs and the SDK into dist/sdk.mjs (dependencies stay external). Run by `npm ci`
// (prepare). bin/openvod.js uses the bundle while it is newer than every source file, and runs
// the TypeScript sources through tsx otherwise, so a stale bundle is never used.
import { build } from 'esbuild';

const common = { bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', sourcemap: true, logLevel: 'warning' };
// The server and CLI.
await build({ ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/openvod.mjs' });
// The SDK, importable as `openvod/sdk`.
await build({ ...common, entryPoints: ['src/sdk/index.ts'], outfile: 'dist/sdk.mjs' });
