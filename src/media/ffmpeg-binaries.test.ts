import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { execFile } from 'node:child_process';
import { elfLinking } from './elf-linking.js';
import { chooseTool, locateTool, toolEnv } from './ffmpeg-binaries.js';
import { probeMedia } from './ffprobe.js';
import { mediaTools } from '../../test/helpers/media-fixtures.js';

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

test('a configured path wins, whatever the preference, and has no fallback', () => {
  for (const prefer of ['path', 'bundled'] as const) {
    assert.deepEqual(chooseTool('ffprobe', { configured: '/opt/ffprobe', pathEnv: process.env.PATH, prefer }), { primary: { path: '/opt/ffprobe', source: 'configured' } });
  }
  assert.deepEqual(locateTool('ffprobe', { configured: '/opt/ffprobe', pathEnv: process.env.PATH }), { path: '/opt/ffprobe', source: 'configured' });
});

test('preference path: the PATH binary alone; bundled: the npm binary first, the PATH one as fallback', () => {
  const dir = mkdtempSync(join(tmpdir(), 'openvod-tools-'));
  try {
    for (const tool of ['ffmpeg', 'ffprobe'] as const) {
      const onPath = join(dir, tool);
      writeFileSync(onPath, '#!/bin/sh\nexit 0\n');
      chmodSync(onPath, 0o755);
      assert.deepEqual(chooseTool(tool, { pathEnv: `/nonexistent:${dir}`, prefer: 'path' }), { primary: { path: onPath, source: 'PATH' } });
      assert.deepEqual(chooseTool(tool, { pathEnv: dir }), { primary: { path: onPath, source: 'PATH' } }, 'path is the default');

      const bundled = chooseTool(tool, { pathEnv: dir, prefer: 'bundled' });
      assert.equal(bundled.primary.source, 'npm');
      assert.notEqual(bundled.primary.path, onPath);
      assert.match(execFileSync(bundled.primary.path, ['-version']).toString(), new RegExp(`${tool} version`));
      assert.deepEqual(bundled.fallback, { path: onPath, source: 'PATH' });

      assert.deepEqual(chooseTool(tool, { pathEnv: '/nonexistent', prefer: 'bundled' }), { primary: bundled.primary, fallback: undefined }, 'nothing on PATH: no fallback');
      assert.deepEqual(chooseTool(tool, { pathEnv: '/nonexistent', prefer: 'path' }), { primary: bundled.primary }, 'nothing on PATH: the npm binary');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('static binaries are told apart from dynamically linked ones, and only they get GCONV_PATH', () => {
  const bundled = chooseTool('ffprobe', { pathEnv: '', prefer: 'bundled' }).primary.path;
  assert.equal(elfLinking(bundled), 'static');
  assert.equal(elfLinking(chooseTool('ffmpeg', { pathEnv: '', prefer: 'bundled' }).primary.path), 'static');
  assert.equal(elfLinking(process.execPath), 'dynamic', 'node is dynamically linked');
  assert.equal(elfLinking('/bin/sh'), 'dynamic');
  assert.equal(elfLinking(new URL(import.meta.url).pathname), 'other', 'not ELF');
  assert.equal(elfLinking('/nonexistent/ffprobe'), 'other');
  assert.match(toolEnv(bundled)?.GCONV_PATH ?? '', /^\/nonexistent/);
  assert.equal(toolEnv(process.execPath), undefined);
});

test('the bundled ffprobe reads MPEG-TS (its static glibc crashed on the system gconv modules)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'openvod-ts-'));
  try {
    const ts = join(dir, 'clip.ts');
    await promisify(execFile)(mediaTools().ffmpegPath, [
      '-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=25', '-t', '1', '-c:v', 'libx264', '-preset', 'ultrafast', '-metadata', 'service_name=Ünïcødé', ts,
    ]);
    const info = await probeMedia(ts, { ffprobePath: chooseTool('ffprobe', { pathEnv: '', prefer: 'bundled' }).primary.path });
    assert.equal(info.formatName, 'mpegts');
    assert.equal(info.videoStreams.length, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
