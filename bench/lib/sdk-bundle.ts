// bench/upload's uploader as users run it: the SDK bundled the way scripts/build.js bundles
// dist/sdk.mjs (esbuild, ESM, node20, npm packages left as imports), and the uploader child
// bundled beside it, importing that bundle — then run on plain node, without tsx. Both go to
// node_modules/.cache/openvod-bench/ (inside the package, so `ali-oss` & co. resolve from
// node_modules as they do for dist/), never to dist/ itself, which the server start-up looks at.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { build, type Plugin } from 'esbuild';

const COMMON = { bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'warning' } as const;

/** Builds both bundles; returns the child's path (run it with `node <path> …`). */
export async function bundleUploadChild(root: string): Promise<string> {
  const dir = join(root, 'node_modules', '.cache', 'openvod-bench');
  mkdirSync(dir, { recursive: true });
  await build({ ...COMMON, entryPoints: [join(root, 'src/sdk/index.ts')], outfile: join(dir, 'sdk.mjs') });
  // The child's import of the SDK sources becomes an import of the SDK bundle.
  const useSdkBundle: Plugin = {
    name: 'use-sdk-bundle',
    setup(b) {
      b.onResolve({ filter: /\/src\/sdk\/index\.js$/ }, () => ({ path: './sdk.mjs', external: true }));
    },
  };
  const child = join(dir, 'upload-child.mjs');
  await build({ ...COMMON, entryPoints: [join(root, 'bench/lib/upload-child.ts')], outfile: child, plugins: [useSdkBundle] });
  return child;
}
