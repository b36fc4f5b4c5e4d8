// Compiles OpenVOD's two optional native helpers into dist/native/ (run by scripts/build.js, so by
// `npm ci`): md5-lanes.node, the eight-lane MD5 kernel (a Node-API addon, against the running
// Node's headers), and tool-zygote.so, which ffprobe and ffmpeg preload to be started once and
// forked per run (native/*.c say what each does). Each is one C file and one compiler call; no
// node-gyp, no Python. Neither is required: where there is no C compiler or no Node headers, or a
// compile fails, this says so and OpenVOD does the same work without it (the WebAssembly kernel;
// a fresh process per tool run).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist/native');
const cc = process.env.CC || 'cc';
// Node's headers: beside the node binary in official builds and distribution packages.
const nodeHeaders = [resolve(process.execPath, '../../include/node'), '/usr/include/node', '/usr/local/include/node']
  .find((dir) => existsSync(join(dir, 'node_api.h')));

const targets = [
  { name: 'md5-lanes.node', source: 'native/md5-lanes.c', flags: nodeHeaders ? [`-I${nodeHeaders}`] : undefined, missing: "Node's headers (node_api.h) were not found" },
  // No stack protector in the zygote itself: a run's process gets a fresh stack canary while the
  // zygote's frames are still below it (tool-zygote.c).
  { name: 'tool-zygote.so', source: 'native/tool-zygote.c', flags: ['-fno-stack-protector', '-ldl'] },
];

if (process.platform !== 'linux') {
  console.log('build-native: not Linux, no native helpers (OpenVOD uses its portable code paths)');
} else {
  mkdirSync(out, { recursive: true });
  for (const t of targets) {
    if (t.flags === undefined) {
      console.log(`build-native: ${t.name} skipped: ${t.missing}; OpenVOD works without it`);
      continue;
    }
    const args = ['-O2', '-shared', '-fPIC', '-fvisibility=hidden', '-Wall', '-o', join(out, t.name), join(root, t.source), ...t.flags];
    const r = spawnSync(cc, args, { encoding: 'utf8' });
    if (r.status === 0) continue;
    const why = r.error ? r.error.message : (r.stderr || '').trim().split('\n').slice(-3).join(' | ');
    console.log(`build-native: ${t.name} not built (${why}); OpenVOD works without it`);
  }
}
