// The process that starts ffprobe and ffmpeg for this one. Node forks the whole process to spawn
// a child, and the time that takes grows with the parent's memory (measured here: 5 ms from a
// 50 MiB process, 18 ms from 400 MiB), all of it on the main thread, which serves requests and
// downloads meanwhile. A URL pull runs two tools per file: pulling many small files, a third of
// the server's main thread went into spawn(). So a small Node process of its own, started on
// first use and kept, forks instead; the server only exchanges messages with it.
//
// The runner owns each tool's whole life exactly as run-tool.ts describes it: the timeout, the
// stdout cap and the stderr tail are applied there, a kill asked for (an abort) is answered only
// once the tool has exited, and when the server goes away (its IPC channel closes: exit, crash,
// SIGKILL) the runner kills every tool it started and exits. When the runner itself dies, every
// run in flight is answered `spawn-failed` and the next run starts a new one.
//
// Its code is evaluated from the string below so that it works the same from the sources and
// from the esbuild bundle.
import { type ChildProcess, spawn } from 'node:child_process';

const RUNNER_SOURCE = `
const { spawn } = require('node:child_process');
const STDERR_KEEP_BYTES = ${16 * 1024};
const running = new Map();
process.on('message', (m) => {
  if (m.t === 'kill') return running.get(m.id)?.kill('aborted');
  if (m.t !== 'run') return;
  const out = [];
  let outBytes = 0;
  let errTail = Buffer.alloc(0);
  let killedFor;
  let spawned = false;
  let child;
  const reply = (result) => {
    running.delete(m.id);
    if (process.connected) process.send({ t: 'done', id: m.id, result });
  };
  try {
    child = spawn(m.path, m.args, { stdio: ['ignore', 'pipe', 'pipe'], env: m.env ? { ...process.env, ...m.env } : process.env });
  } catch (e) {
    return reply({ kind: 'spawn-failed', message: String(e && e.message || e), code: e && e.code });
  }
  const kill = (why) => {
    if (killedFor) return;
    killedFor = why;
    child.kill('SIGKILL');
  };
  running.set(m.id, { kill });
  const timer = m.timeoutMs > 0 ? setTimeout(() => kill('timeout'), m.timeoutMs) : undefined;
  child.stdout.on('data', (c) => {
    outBytes += c.length;
    if (outBytes > m.maxStdoutBytes) return kill('output-too-large');
    out.push(c);
  });
  child.stderr.on('data', (c) => {
    errTail = Buffer.concat([errTail, c]);
    if (errTail.length > STDERR_KEEP_BYTES) errTail = errTail.subarray(errTail.length - STDERR_KEEP_BYTES);
  });
  child.once('spawn', () => { spawned = true; });
  child.once('error', (e) => {
    // Before 'spawn' this is a failure to start (ENOENT, EACCES); 'close' may never follow.
    if (!spawned) { clearTimeout(timer); reply({ kind: 'spawn-failed', message: e.message, code: e.code }); }
  });
  child.once('close', (exitCode, exitSignal) => {
    clearTimeout(timer);
    if (!spawned) return;
    reply({ kind: killedFor ?? 'exited', exitCode, exitSignal, stdout: Buffer.concat(out).toString('utf8'), stderr: errTail.toString('utf8') });
  });
});
// The server is gone: nothing it started may outlive it.
process.on('disconnect', () => {
  for (const r of running.values()) r.kill('aborted');
  process.exit(0);
});
`;

export interface ToolRequest {
  path: string;
  args: readonly string[];
  /** Variables to set over the runner's environment (which is the server's). */
  env: Record<string, string> | undefined;
  timeoutMs: number;
  maxStdoutBytes: number;
}

/** What the runner answers: run-tool.ts's result, with a spawn error as plain fields. */
export type ToolReply =
  | { kind: 'exited' | 'timeout' | 'aborted' | 'output-too-large'; exitCode: number | null; exitSignal: NodeJS.Signals | null; stdout: string; stderr: string }
  | { kind: 'spawn-failed'; message: string; code?: string | undefined };

interface Pending {
  resolve(reply: ToolReply): void;
  /** The runner the request went to. */
  runner: ChildProcess;
}

class ToolRunner {
  private child: ChildProcess | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  /** Runs one tool; `abort()` on the returned handle asks the runner to kill it. */
  run(request: ToolRequest): { reply: Promise<ToolReply>; abort(): void } {
    const id = ++this.nextId;
    let child: ChildProcess;
    try {
      child = this.started();
    } catch (err) {
      return { reply: Promise.resolve({ kind: 'spawn-failed', message: `could not start the tool runner: ${(err as Error).message}` }), abort: () => {} };
    }
    const reply = new Promise<ToolReply>((resolve) => {
      this.pending.set(id, { resolve, runner: child });
      this.refWhileBusy();
      child.send({ t: 'run', id, ...request }, (err) => {
        if (err) this.settle(id, { kind: 'spawn-failed', message: `the tool runner did not take the request: ${err.message}` });
      });
    });
    return {
      reply,
      abort: () => {
        if (this.pending.has(id) && child.connected) child.send({ t: 'kill', id }, () => {});
      },
    };
  }

  /** The runner's process id while it runs (tests). */
  get pid(): number | undefined {
    return this.child?.connected ? this.child.pid : undefined;
  }

  private started(): ChildProcess {
    if (this.child?.connected) return this.child;
    const child = spawn(process.execPath, ['-e', RUNNER_SOURCE], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    child.on('message', (m: { t: string; id: number; result: ToolReply }) => {
      if (m.t === 'done') this.settle(m.id, m.result);
    });
    const gone = (why: string): void => {
      if (this.child === child) this.child = undefined;
      for (const [id, p] of [...this.pending]) if (p.runner === child) this.settle(id, { kind: 'spawn-failed', message: `the tool runner ${why}` });
    };
    child.on('exit', (code, signal) => gone(`exited (${signal ?? code})`));
    child.on('error', (err) => gone(`failed: ${err.message}`));
    this.child = child;
    return child;
  }

  private settle(id: number, reply: ToolReply): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    this.refWhileBusy();
    p.resolve(reply);
  }

  /** The runner keeps this process alive only while a run is in flight. */
  private refWhileBusy(): void {
    const child = this.child;
    if (!child) return;
    const channel = (child as ChildProcess & { channel?: { ref(): void; unref(): void } }).channel;
    if (this.pending.size > 0) {
      child.ref();
      channel?.ref();
    } else {
      child.unref();
      channel?.unref();
    }
  }
}

let runner: ToolRunner | undefined;

export const toolRunner = (): ToolRunner => (runner ??= new ToolRunner());
