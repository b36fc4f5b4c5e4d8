import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { locateTool } from './ffmpeg-binaries.js';

for (const tool of ['ffmpeg', 'ffprobe'] as const) {
  test(`${tool}: found on PATH when present, else from the npm package, and it runs`, () => {
    const fromPath = locateTool(tool, { pathEnv: process.env.PATH });
    assert.ok(['PATH', 'npm'].includes(fromPath.source));
    assert.match(execFileSync(fromPath.path, ['-version']).toString(), new RegExp(`${tool} version`));

    const fallback = locateTool(tool, { pathEnv: '/nonexistent' });
    assert.equal(fallback.source, 'npm');
    assert.match(execFileSync(fallback.path, ['-version']).toString(), new RegExp(`${tool} version`));
  });
}

test('a configured path wins', () => {
  assert.deepEqual(locateTool('ffprobe', { configured: '/opt/ffprobe', pathEnv: process.env.PATH }), { path: '/opt/ffprobe', source: 'configured' });
});
