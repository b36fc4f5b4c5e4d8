// The library order: the pure parts on made-up traces, then the real thing on the ffprobe and
// ffmpeg this machine has (when they are dynamically linked, as a distribution's are).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { elfLinking } from './elf-linking.js';
import { chooseTool, toolEnv } from './ffmpeg-binaries.js';
import { probeMedia } from './ffprobe.js';
import { grabFrame } from './snapshot.js';
import { toolRunner } from './tool-runner.js';
import { Bindings, feedLines, type LibraryOrderOutcome, libraryPreload, orderLibraries, orderLibrariesOnFirstUse, preloadOrder } from './library-order.js';
import { makeAudio, makeVideo, mediaTools, processesMatching } from '../../test/helpers/media-fixtures.js';

const line = (object: string, lib: string, symbol: string, version?: string): string =>
  `      4242:\tbinding file ${object} [0] to ${lib} [0]: normal symbol \`${symbol}'${version === undefined ? '' : ` [${version}]`}`;

const traced = (lines: string[]): Bindings => {
  const b = new Bindings();
  feedLines(lines, (buf, start, end) => b.add(buf, start, end));
  return b;
};
const compared = (base: Bindings, lines: string[]): ReturnType<ReturnType<Bindings['comparison']>['moved']> => {
  const trial = base.comparison();
  feedLines(lines, (buf, start, end) => trial.add(buf, start, end));
  return trial.moved();
};

const BASE = [
  '      4242:\tcalling init: /lib/libc.so.6',
  line('/usr/bin/tool', '/lib/libc.so.6', 'memcpy', 'GLIBC_2.14'),
  line('/lib/liba.so', '/lib/libc.so.6', 'memcpy', 'GLIBC_2.14'),
  line('/lib/liba.so', '/lib/libc.so.6', 'memcpy', 'GLIBC_2.14'), // a second relocation of the same reference
  line('/lib/liba.so', '/lib/libm.so.6', 'frexp'),
  line('/lib/liba.so', '/lib/libm.so.6', 'frexp', 'GLIBC_2.2.5'),
  '',
];

test('Bindings: one library per reference, lookups counted per library, other lines ignored', () => {
  const base = traced(BASE);
  assert.equal(base.size, 4, 'tool:memcpy, liba:memcpy, liba:frexp, liba:frexp@GLIBC_2.2.5');
  assert.deepEqual(Object.fromEntries(base.answered), { '/lib/libc.so.6': 3, '/lib/libm.so.6': 2 });
  assert.throws(() => traced([line('/lib/liba.so', '/lib/libc.so.6', 'frexp'), line('/lib/liba.so', '/lib/libm.so.6', 'frexp')]), /bound to both \/lib\/libc\.so\.6 and \/lib\/libm\.so\.6/);
});

test('a comparison: nothing moved, moved references (one pair of libraries each), or a different set of references', () => {
  const base = traced(BASE);
  assert.deepEqual(compared(base, [...BASE].reverse()), [], 'the order of the lines does not matter');
  const toLibc = BASE.map((l) => l.replace(/to \/lib\/libm\.so\.6/, 'to /lib/libc.so.6'));
  assert.deepEqual(compared(base, toLibc), [{ from: '/lib/libm.so.6', to: '/lib/libc.so.6' }]);
  assert.equal(compared(base, BASE.slice(0, 4)), 'different', 'a reference missing');
  assert.equal(compared(base, [...BASE, line('/lib/libb.so', '/lib/libc.so.6', 'memcpy', 'GLIBC_2.14')]), 'different', 'a reference more');
  assert.deepEqual(compared(base, BASE), [], 'comparisons are independent');
});

test('preloadOrder: most lookups first; a library that must come first moves up with the one waiting on it; a cycle has no order', () => {
  const answered = new Map([['libc', 100], ['libcrypto', 50], ['libz', 10], ['libm', 1]]);
  const libs = ['libm', 'libz', 'libc', 'libcrypto'];
  assert.deepEqual(preloadOrder(libs, answered, new Map()), ['libc', 'libcrypto', 'libz', 'libm']);
  assert.deepEqual(preloadOrder(libs, answered, new Map([['libc', new Set(['libm'])]])), ['libm', 'libc', 'libcrypto', 'libz']);
  assert.deepEqual(
    preloadOrder(libs, answered, new Map([['libcrypto', new Set(['libm'])], ['libm', new Set(['libz'])]])),
    ['libc', 'libz', 'libm', 'libcrypto'],
    'chains are kept, each as early as what waits on it',
  );
  assert.deepEqual(preloadOrder(libs, answered, new Map([['libz', new Set(['libgone'])]])), ['libc', 'libcrypto', 'libz', 'libm'], 'a library not listed is no constraint');
  assert.equal(preloadOrder(libs, answered, new Map([['libc', new Set(['libm'])], ['libm', new Set(['libc'])]])), undefined);
});

test('what is not ordered: a script, a static binary, a program whose -version fails', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'openvod-ldorder-'));
  try {
    const script = join(dir, 'ffprobe');
    writeFileSync(script, '#!/bin/sh\necho ffprobe version 0\n');
    chmodSync(script, 0o755);
    assert.deepEqual(await orderLibraries(script), { kind: 'skipped', reason: 'not a dynamically linked executable' });
    const bundled = chooseTool('ffprobe', { pathEnv: '', prefer: 'bundled' }).primary.path;
    assert.equal((await orderLibraries(bundled)).kind, 'skipped');
    if (elfLinking('/bin/false') === 'dynamic') assert.deepEqual(await orderLibraries('/bin/false'), { kind: 'skipped', reason: '`-version` ended with code 1' });
    for (const path of [script, bundled, '/bin/false']) assert.equal(libraryPreload(path), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const { ffprobePath, ffmpegPath } = mediaTools();
const dynamic = process.platform === 'linux' && elfLinking(ffprobePath) === 'dynamic' && elfLinking(ffmpegPath) === 'dynamic' && !process.env.LD_PRELOAD;

/** `path -version`'s trace of the dynamic linker, taken independently of library-order.ts's own runs. */
async function traceOf(path: string, preload: string | undefined): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'openvod-ldtrace-'));
  try {
    const env = { ...process.env, LD_BIND_NOW: '1', LD_DEBUG: 'bindings', LD_DEBUG_OUTPUT: join(dir, 'trace'), ...(preload ? { LD_PRELOAD: preload } : {}) };
    await promisify(execFile)(path, ['-version'], { env });
    const [file] = readdirSync(dir);
    return readFileSync(join(dir, file as string), 'utf8').split('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the machine\'s ffprobe: ordered, every symbol bound as before, and it probes a file exactly as before', { skip: dynamic ? false : 'ffprobe is not a dynamically linked Linux executable here' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'openvod-ldorder-'));
  try {
    const files = [
      await makeVideo(dir, { seconds: 1 }),
      await makeVideo(dir, { seconds: 1, container: 'webm' }),
      await makeVideo(dir, { seconds: 1, container: 'mkv', audio: false }),
      await makeAudio(dir, { format: 'mp3', cover: true }),
    ];
    assert.equal(toolEnv(ffprobePath), undefined, 'no preload before the order is checked');
    const plain = await Promise.all(files.map((f) => probeMedia(f, { ffprobePath })));

    const outcome = await orderLibraries(ffprobePath);
    assert.equal(outcome.kind, 'ordered', JSON.stringify(outcome));
    assert.ok(outcome.kind === 'ordered' && outcome.libraries > 1 && outcome.references > 100 && outcome.rounds >= 1);
    const preload = libraryPreload(ffprobePath);
    assert.ok(preload !== undefined);
    const libraries = preload.split(' ');
    assert.ok(libraries.some((lib) => /\/libc\.so/.test(lib)), 'libc is among the preloaded');
    assert.ok(libraries.every((lib) => lib.startsWith('/') && lib !== ffprobePath && !/\/ld-linux/.test(lib)));
    assert.deepEqual(toolEnv(ffprobePath), { LD_PRELOAD: preload });
    assert.equal(await orderLibraries(ffprobePath), await orderLibraries(ffprobePath), 'checked once per process');

    // Checked again here, outside the module: the same references bound to the same libraries.
    const plainTrace = await traceOf(ffprobePath, undefined);
    assert.ok(plainTrace.filter((l) => l.includes('binding file')).length > 1000);
    assert.deepEqual(compared(traced(plainTrace), await traceOf(ffprobePath, preload)), []);
    // The check is not blind: where libm's frexp was bound (Debian), libc put before libm moves it.
    if (plainTrace.some((l) => /to \S*\/libm\.so\S* \[\d+\]: normal symbol `frexp'/.test(l))) {
      const libcFirst = [...libraries.filter((lib) => /\/libc\.so/.test(lib)), ...libraries.filter((lib) => !/\/libc\.so/.test(lib))].join(' ');
      const moved = compared(traced(plainTrace), await traceOf(ffprobePath, libcFirst));
      assert.ok(moved !== 'different' && moved.some((m) => /\/libm\.so/.test(m.from) && /\/libc\.so/.test(m.to)), JSON.stringify(moved));
    }
    // And the tool, now started with the preload (runTool takes toolEnv), answers the same.
    assert.deepEqual(await Promise.all(files.map((f) => probeMedia(f, { ffprobePath }))), plain);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('orderLibrariesOnFirstUse: a tool\'s first start sets off its check, later starts get the preload, a changed tool is checked again', { skip: dynamic ? false : 'ffmpeg is not a dynamically linked Linux executable here' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'openvod-ldorder-'));
  try {
    const tool = join(dir, 'ffmpeg'); // a copy: its libraries are found where the original's are
    copyFileSync(ffmpegPath, tool);
    chmodSync(tool, 0o755);
    const video = await makeVideo(dir, { seconds: 2 });
    await grabFrame({ ffmpegPath: tool, source: video, timeS: 0.5, outPath: join(dir, 'plain.jpg') }); // before any check
    const reports: [string, LibraryOrderOutcome][] = [];
    let heard: () => void = () => {};
    const nextReport = (): Promise<void> => new Promise((resolve) => (heard = resolve));
    orderLibrariesOnFirstUse((path, outcome) => {
      reports.push([path, outcome]);
      heard();
    });

    let reported = nextReport();
    assert.equal(libraryPreload(tool), undefined, 'the first start runs without');
    await reported;
    assert.deepEqual(reports.map(([path, o]) => [path, o.kind]), [[tool, 'ordered']]);
    const preload = libraryPreload(tool);
    assert.match(preload ?? '', /\/libc\.so/);
    assert.equal(libraryPreload(tool), preload);
    assert.equal(reports.length, 1, 'not checked twice');
    // The same cover, byte for byte, as the copy made before it was ordered.
    await grabFrame({ ffmpegPath: tool, source: video, timeS: 0.5, outPath: join(dir, 'preloaded.jpg') });
    assert.ok(readFileSync(join(dir, 'preloaded.jpg')).equals(readFileSync(join(dir, 'plain.jpg'))));

    reported = nextReport();
    utimesSync(tool, new Date(), new Date(Date.now() + 60_000)); // as an upgrade would leave it
    assert.equal(libraryPreload(tool), undefined, 'a changed tool starts without until checked again');
    await reported;
    assert.deepEqual(reports.map(([path, o]) => [path, o.kind]), [[tool, 'ordered'], [tool, 'ordered']]);
    assert.equal(libraryPreload(tool), preload);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a check cut short by a passing failure (the tool runner killed) is made again on a use after the delay', { skip: dynamic ? false : 'ffprobe is not a dynamically linked Linux executable here' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'openvod-ldorder-'));
  try {
    const tool = join(dir, 'ffprobe');
    copyFileSync(ffprobePath, tool);
    chmodSync(tool, 0o755);
    const first = orderLibraries(tool, 200);
    // Kill the runner while it runs one of the check's traces.
    const deadline = Date.now() + 10_000;
    while (processesMatching(tool).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
    const runner = toolRunner().pid;
    assert.ok(runner !== undefined && processesMatching(tool).length > 0, 'a trace was running');
    process.kill(runner, 'SIGKILL');
    const outcome = await first;
    assert.equal(outcome.kind, 'skipped');
    assert.ok(outcome.kind === 'skipped' && outcome.retryInMs === 200, JSON.stringify(outcome));
    assert.match(outcome.kind === 'skipped' ? outcome.reason : '', /could not run it: the tool runner/);
    assert.equal(await orderLibraries(tool), outcome, 'not again before the delay');
    assert.equal(libraryPreload(tool), undefined);

    await new Promise((r) => setTimeout(r, 400));
    const again = await orderLibraries(tool);
    assert.equal(again.kind, 'ordered', JSON.stringify(again));
    assert.match(libraryPreload(tool) ?? '', /\/libc\.so/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
