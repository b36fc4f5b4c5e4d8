// The zygote (native/tool-zygote.c, driven by tool-runner.ts) with a small dynamically linked tool
// compiled here, so that every path can be provoked: output and exit codes relayed, a fresh stack
// canary per run, a crash or a new build of the tool retiring the zygote, a library that cannot
// be preloaded falling back to plain processes. run-tool.test.ts runs its whole suite with real
// ffmpeg through the zygote as well.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { arch, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { nativeHelper } from '../native/native-files.js';
import { toolRunner, type ToolReply, type ZygoteEvent } from './tool-runner.js';
import { runTool } from './run-tool.js';
import { useToolZygotes, zygoteLibrary } from './tool-zygote.js';
import { makeVideo, mediaTools } from '../../test/helpers/media-fixtures.js';

const hasCompiler = spawnSync('cc', ['--version']).status === 0;
const library = nativeHelper('tool-zygote.so');
const skip = library === undefined ? 'the zygote library is not built here' : !hasCompiler ? 'no C compiler for the test tool' : false;

// Where scripts/build-native.js looks for Node's headers, which the MD5 addon needs.
const hasNodeHeaders = [resolve(process.execPath, '../../include/node'), '/usr/include/node', '/usr/local/include/node'].some((dir) => existsSync(join(dir, 'node_api.h')));

test('npm ci builds both native helpers wherever it has a C compiler (Linux x86-64; the MD5 addon where Node\'s headers are too)', { skip: process.platform !== 'linux' || arch() !== 'x64' || !hasCompiler ? 'not Linux x86-64 with a C compiler' : false }, () => {
  assert.ok(nativeHelper('tool-zygote.so'), 'dist/native/tool-zygote.so');
  if (hasNodeHeaders) assert.ok(nativeHelper('md5-lanes.node'), 'dist/native/md5-lanes.node');
});

const TOOL_SOURCE = `
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pthread.h>
static void *idle(void *arg) { (void)arg; for (;;) pause(); return NULL; }
__attribute__((constructor)) static void noisy(void) {
  if (getenv("TOOL_NOISY")) { printf("hello from an initialiser\\n"); fflush(stdout); }
  pthread_t t;
  if (getenv("TOOL_THREAD")) pthread_create(&t, NULL, idle, NULL);
}
int main(int argc, char **argv) {
  uint64_t canary = 0;
#if defined(__x86_64__)
  __asm__("movq %%fs:0x28, %0" : "=r"(canary));
#endif
  printf("canary %016llx pid %d\\n", (unsigned long long)canary, (int)getpid());
  for (int i = 1; i < argc; i++) printf("arg %s\\n", argv[i]);
  fprintf(stderr, "on stderr\\n");
  fflush(NULL);
  if (argc > 1 && strcmp(argv[1], "crash") == 0) raise(SIGSEGV);
  if (argc > 1 && strcmp(argv[1], "sleep") == 0) sleep(60);
  return argc > 1 && strcmp(argv[1], "fail") == 0 ? 3 : 0;
}
`;

function buildTool(): { dir: string; tool: string } {
  const dir = mkdtempSync(join(tmpdir(), 'openvod-zygote-'));
  writeFileSync(join(dir, 'tool.c'), TOOL_SOURCE);
  const tool = join(dir, 'tool');
  execFileSync('cc', ['-O1', '-fstack-protector-all', '-pthread', '-o', tool, join(dir, 'tool.c')]);
  return { dir, tool };
}

/** `zygote` null: a process of its own. */
const run = (tool: string, args: string[], zygote: string | null | undefined = library): Promise<ToolReply> =>
  toolRunner().run({ path: tool, args, env: undefined, timeoutMs: 10_000, maxStdoutBytes: 1 << 20, zygote: zygote ?? undefined }).reply;

function exited(reply: ToolReply): Exclude<ToolReply, { kind: 'spawn-failed' }> {
  assert.equal(reply.kind, 'exited', JSON.stringify(reply));
  return reply as Exclude<ToolReply, { kind: 'spawn-failed' }>;
}

function listen(): { events: ZygoteEvent[]; stop(): void } {
  const events: ZygoteEvent[] = [];
  toolRunner().onZygoteEvent = (e) => events.push(e);
  return { events, stop: () => (toolRunner().onZygoteEvent = undefined) };
}

/** Runs `fn` with the test tool freshly built and the zygote events heard meanwhile; cleans up after. */
async function withTool(fn: (tool: string, events: ZygoteEvent[], dir: string) => Promise<void>): Promise<void> {
  const { dir, tool } = buildTool();
  const heard = listen();
  try {
    await fn(tool, heard.events, dir);
  } finally {
    heard.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('runs forked from the zygote: arguments, stdout, stderr and exit code as from a process; each run its own pid and stack canary', { skip }, () =>
  withTool(async (tool, events) => {
    const a = exited(await run(tool, ['one', 'two words']));
    const b = exited(await run(tool, ['fail']));
    assert.equal(a.via, 'zygote');
    assert.equal(b.via, 'zygote');
    assert.match(a.stdout, /\narg one\narg two words\n$/);
    assert.equal(a.stderr, 'on stderr\n');
    assert.equal(a.exitCode, 0);
    assert.equal(b.exitCode, 3);
    const canary = (out: string): string => /canary (\w+)/.exec(out)?.[1] ?? '';
    const pid = (out: string): string => /pid (\d+)/.exec(out)?.[1] ?? '';
    assert.notEqual(pid(a.stdout), pid(b.stdout));
    if (arch() === 'x64') {
      assert.notEqual(canary(a.stdout), canary(b.stdout), 'a fresh canary per run');
      assert.match(canary(a.stdout), /00$/, 'low byte zero, as glibc keeps it');
    }
    assert.deepEqual(events.map((e) => e.event), ['zygote'], 'one zygote served both');
    // The same run as a process of its own answers the same (but for pid and canary).
    const plain = exited(await run(tool, ['one', 'two words'], null));
    assert.equal(plain.via, 'process');
    assert.equal(plain.stdout.replace(/^.*\n/, ''), a.stdout.replace(/^.*\n/, ''));
  }));

test('a run that crashes retires its zygote: the next run comes from a new one (a new address layout and canary)', { skip }, () =>
  withTool(async (tool, events) => {
    exited(await run(tool, []));
    const crashed = exited(await run(tool, ['crash']));
    assert.equal(crashed.exitSignal, 'SIGSEGV');
    assert.equal(crashed.exitCode, null);
    exited(await run(tool, []));
    const zygotes = events.filter((e) => e.event === 'zygote');
    assert.equal(zygotes.length, 2, JSON.stringify(events));
    assert.notEqual(zygotes[0]?.pid, zygotes[1]?.pid);
    assert.ok(events.some((e) => e.event === 'zygote-retired' && /SIGSEGV/.test(e.why ?? '')));
  }));

test('a new build of the tool (its file changed) gets a new zygote; the old one finishes its runs first, and can still kill them', { skip }, () =>
  withTool(async (tool, events) => {
    const sleeping = toolRunner().run({ path: tool, args: ['sleep'], env: undefined, timeoutMs: 10_000, maxStdoutBytes: 1 << 20, zygote: library });
    await new Promise((r) => setTimeout(r, 200));
    const later = new Date(Date.now() + 5000);
    utimesSync(tool, later, later);
    exited(await run(tool, []));
    assert.equal(events.filter((e) => e.event === 'zygote').length, 2, JSON.stringify(events));
    assert.ok(events.some((e) => e.event === 'zygote-retired' && /changed/.test(e.why ?? '')));
    // The old zygote's run was not cut short by its retirement: it still runs until stopped.
    const pending = await Promise.race([sleeping.reply, new Promise((r) => setTimeout(() => r('still running'), 300))]);
    assert.equal(pending, 'still running');
    // And its kill still reaches it: a retired zygote takes kills for the runs it has.
    sleeping.abort();
    const stopped = await sleeping.reply;
    assert.ok(stopped.kind === 'aborted' && stopped.exitSignal === 'SIGKILL' && stopped.via === 'zygote', JSON.stringify(stopped));
  }));

test('a zygote that never becomes ready (its library cannot be preloaded): the runs start as processes', { skip }, () =>
  withTool(async (tool, events, dir) => {
    const missing = join(dir, 'no-such-zygote.so');
    const first = exited(await run(tool, ['x'], missing));
    assert.equal(first.via, 'process');
    assert.match(first.stdout, /\narg x\n$/);
    assert.equal(events[0]?.event, 'zygote-refused', JSON.stringify(events));
    // Not tried again for this tool.
    assert.equal(exited(await run(tool, ['y'], missing)).via, 'process');
    assert.equal(events.length, 1);
  }));

test('a tool that writes to stdout before main(): its zygote is given up, the runs start as processes', { skip }, () =>
  withTool(async (tool, events) => {
    const reply = exited(await toolRunner().run({ path: tool, args: ['x'], env: { TOOL_NOISY: '1' }, timeoutMs: 10_000, maxStdoutBytes: 1 << 20, zygote: library }).reply);
    assert.equal(reply.via, 'process');
    assert.match(reply.stdout, /^hello from an initialiser\ncanary/);
    assert.equal(events[0]?.event, 'zygote-refused', JSON.stringify(events));
    assert.match(events[0]?.reason ?? '', /unexpected output/);
  }));

test('a zygote that wrote something else first is given up even if its hello comes after, in a later chunk', { skip: process.platform !== 'linux' ? 'needs /bin/sh' : false }, async () => {
  // A stand-in for a noisy tool (the zygote library is not even loaded): it writes a line, then a
  // process of its own writes a well-formed hello once the runner has read that line alone and
  // killed the tool. Started as a plain process, it just answers.
  const dir = mkdtempSync(join(tmpdir(), 'openvod-zygote-'));
  const heard = listen();
  try {
    const tool = join(dir, 'tool.sh');
    writeFileSync(tool, `#!/bin/sh
if [ "$OPENVOD_TOOL_ZYGOTE" = "1" ]; then
  printf 'noise before main\\n'
  (sleep 0.3; printf 'H\\001\\000\\000\\000\\000\\000\\000\\000') &
  exec sleep 5
fi
echo "ran as a process: $*"
`, { mode: 0o755 });
    const reply = exited(await run(tool, ['x'], join(dir, 'no-such-zygote.so')));
    assert.equal(reply.via, 'process');
    assert.equal(reply.stdout, 'ran as a process: x\n');
    assert.equal(heard.events[0]?.event, 'zygote-refused', JSON.stringify(heard.events));
    assert.match(heard.events[0]?.reason ?? '', /unexpected output/);
  } finally {
    heard.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a tool whose initialisers start a thread is not made a zygote (a forked run would lack it): its runs start as processes', { skip }, () =>
  withTool(async (tool, events) => {
    const reply = exited(await toolRunner().run({ path: tool, args: ['y'], env: { TOOL_THREAD: '1' }, timeoutMs: 10_000, maxStdoutBytes: 1 << 20, zygote: library }).reply);
    assert.equal(reply.via, 'process');
    assert.match(reply.stdout, /\narg y\n$/);
    assert.equal(events[0]?.event, 'zygote-refused', JSON.stringify(events));
    assert.match(events[0]?.reason ?? '', /more than one thread/);
  }));

test('ffprobe through its zygote answers exactly what a fresh ffprobe does', { skip: skip || (zygoteLibrary(mediaTools().ffprobePath) === undefined && useToolZygotes() === undefined ? 'no zygote here' : false) }, async () => {
  const { ffprobePath } = mediaTools();
  const dir = mkdtempSync(join(tmpdir(), 'openvod-zygote-'));
  try {
    useToolZygotes(false);
    const video = await makeVideo(dir, { seconds: 1 });
    const args = ['-v', 'error', '-show_format', '-show_streams', '-of', 'json', video];
    const plain = await runTool(ffprobePath, args);
    useToolZygotes(true);
    if (zygoteLibrary(ffprobePath) === undefined) return; // a static ffprobe: nothing to compare
    const heard = listen();
    const forked = await runTool(ffprobePath, args);
    heard.stop();
    assert.ok(heard.events.some((e) => e.event === 'zygote' && e.path === ffprobePath), `ffprobe became a zygote: ${JSON.stringify(heard.events)}`);
    assert.equal(forked.kind, 'exited');
    assert.ok(plain.kind === 'exited' && forked.kind === 'exited');
    assert.equal(forked.stdout, plain.stdout);
    assert.equal(forked.exitCode, 0);
  } finally {
    useToolZygotes(false);
    rmSync(dir, { recursive: true, force: true });
  }
});
