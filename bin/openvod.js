#!/usr/bin/env node
// OpenVOD runs its TypeScript sources through tsx: `npm ci` is the only build step.

// libuv's thread pool (file I/O, DNS) defaults to 4 threads, which concurrent downloads and
// uploads saturate. It must be sized before its first use, hence here, before any import.
process.env.UV_THREADPOOL_SIZE ??= '32';
const { register } = await import('tsx/esm/api');
register();
const { main } = await import('../src/cli/main.ts');
await main(process.argv);
