import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { runTool, stderrExcerpt } from './run-tool.js';
import { toolRunner } from './tool-runner.js';
import { useToolZygotes, zygoteLibrary } from './tool-zygote.js';
import { mediaTools, processesMatching, waitFor } from '../../test/helpers/media-fixtures.js';

const { ffmpegPath } = mediaTools();
const zygotes = useToolZygotes() !== undefined && zygoteLibrary(ffmpegPath) !== undefined;
useToolZygotes(false);
/** ffmpeg encoding an endless lavfi source to nowhere; `marker` makes the process findable. */
const endless = (marker: string): string[] => ['-nostdin', '-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-metadata', `comment=${marker}`, '-f', 'null', '-'];

test('stderrExcerpt joins lines and keeps the end', () => {
  assert.equal(stderrExcerpt('  a  \n\n b\r\n'), 'a | b');
  assert.equal(stderrExcerpt(''), '(no output on stderr)');
  const long = stderrExcerpt(`${'x'.repeat(1000)}\nthe actual error`, 50);
  assert.equal(long.length, 51);
  assert.ok(long.endsWith('the actual error') && long.startsWith('…'));
});

// Every behaviour holds whether a run is a process of its own or forked from the tool's zygote.
for (const mode of ['process', 'zygote'] as const) {
describe(`runs started as a ${mode}`, { skip: mode === 'zygote' && !zygotes ? 'no zygote here (not built, or ffmpeg is not dynamically linked)' : false }, () => {
  before(() => useToolZygotes(mode === 'zygote'));
  after(() => useToolZygotes(false));

  test('exit code, stdout and stderr are reported', async () => {
    const ok = await runTool(ffmpegPath, ['-hide_banner', '-version']);
    assert.equal(ok.kind, 'exited');
    assert.ok(ok.kind === 'exited' && ok.exitCode === 0 && /ffmpeg version/.test(ok.stdout));
    const bad = await runTool(ffmpegPath, ['-hide_banner', '-no-such-option']);
    assert.ok(bad.kind === 'exited' && bad.exitCode !== 0 && /no-such-option/.test(bad.stderr), JSON.stringify(bad));
  });

  test('abort mid-run kills ffmpeg on an endless lavfi input and waits for it to exit', async () => {
    const marker = randomUUID();
    const controller = new AbortController();
    const running = runTool(ffmpegPath, endless(marker), { signal: controller.signal });
    assert.ok(await waitFor(() => processesMatching(marker).length === 1), 'ffmpeg is running');
    controller.abort(new Error('stop'));
    const result = await running;
    assert.equal(result.kind, 'aborted');
    assert.ok(result.kind === 'aborted' && result.reason instanceof Error && result.reason.message === 'stop');
    assert.deepEqual(processesMatching(marker), [], 'no child left behind');
  });

  test('timeout kills the process', async () => {
    const marker = randomUUID();
    const started = Date.now();
    const result = await runTool(ffmpegPath, endless(marker), { timeoutMs: 300 });
    assert.equal(result.kind, 'timeout');
    assert.ok(Date.now() - started < 5000);
    assert.deepEqual(processesMatching(marker), []);
  });

  test('stdout past the cap kills the process', async () => {
    const marker = randomUUID();
    const args = ['-nostdin', '-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-metadata', `comment=${marker}`, '-f', 'rawvideo', '-'];
    const result = await runTool(ffmpegPath, args, { maxStdoutBytes: 1024 * 1024 });
    assert.equal(result.kind, 'output-too-large');
    assert.deepEqual(processesMatching(marker), []);
  });

  test('a pre-aborted signal never spawns; a missing binary is spawn-failed', async () => {
    const marker = randomUUID();
    const result = await runTool(ffmpegPath, endless(marker), { signal: AbortSignal.abort() });
    assert.equal(result.kind, 'aborted');
    assert.deepEqual(processesMatching(marker), []);
    const missing = await runTool('/nonexistent/ffmpeg', ['-version']);
    assert.ok(missing.kind === 'spawn-failed' && /ENOENT/.test(missing.error.message));
  });

  test('tools are started by the tool runner, not forked from this process: a runner that dies fails its runs, and the next run gets a new one', async () => {
    const marker = randomUUID();
    const running = runTool(ffmpegPath, endless(marker));
    const [toolPid] = await waitForPids(marker);
    const runnerPid = toolRunner().pid;
    assert.ok(runnerPid !== undefined && runnerPid !== process.pid);
    if (mode === 'process') assert.equal(parentOf(toolPid as number), runnerPid, 'ffmpeg is the runner\'s child');
    else assert.equal(parentOf(parentOf(toolPid as number)), runnerPid, 'ffmpeg is the child of a zygote, the runner\'s child');
    process.kill(runnerPid, 'SIGKILL');
    const result = await running;
    assert.ok(result.kind === 'spawn-failed' && /tool runner exited \(SIGKILL\)/.test(result.error.message), JSON.stringify(result));
    if (mode === 'process') {
      // Its orphan is not ours to wait for: the runner could not kill it. Clean up for the next tests.
      process.kill(toolPid as number, 'SIGKILL');
    } else {
      // The zygote dies with the runner, and its runs with it (PR_SET_PDEATHSIG).
      assert.ok(await waitFor(() => processesMatching(marker).length === 0, 10_000), 'the run died with its zygote');
    }
    const again = await runTool(ffmpegPath, ['-hide_banner', '-version']);
    assert.ok(again.kind === 'exited' && again.exitCode === 0);
    assert.notEqual(toolRunner().pid, runnerPid);
  });

  test('a process that is SIGKILLed takes the tools it was running with it', async () => {
    const marker = randomUUID();
    const script = `import { runTool } from ${JSON.stringify(new URL('./run-tool.ts', import.meta.url).href)};
      import { useToolZygotes } from ${JSON.stringify(new URL('./tool-zygote.ts', import.meta.url).href)};
      useToolZygotes(${mode === 'zygote'});
      void runTool(${JSON.stringify(ffmpegPath)}, ${JSON.stringify(endless(marker))}); setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: 'ignore' });
    try {
      await waitForPids(marker);
      child.kill('SIGKILL');
      assert.ok(await waitFor(() => processesMatching(marker).length === 0, 10_000), 'ffmpeg exited with the process that ran it');
    } finally {
      child.kill('SIGKILL');
      for (const pid of processesMatching(marker)) process.kill(pid, 'SIGKILL');
    }
  });
});
}

async function waitForPids(marker: string): Promise<number[]> {
  assert.ok(await waitFor(() => processesMatching(marker).length === 1, 10_000), 'ffmpeg is running');
  return processesMatching(marker);
}

function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}
