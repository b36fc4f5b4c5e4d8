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
// A request that names the zygote library (tool-zygote.ts) is not started as a process of its
// own: the runner keeps the tool's zygote (native/tool-zygote.c; one per tool, environment and
// installed build), asks it for each run over its stdin and stdout, and relays what the run
// writes and how it ends to the same code as a process's. A zygote that never says it is ready is
// given up for good and its runs start as processes; one whose run crashed, which has served
// ZYGOTE_MAX_RUNS or is older than ZYGOTE_MAX_AGE_MS, or whose tool changed on disk, is retired:
// it takes no more runs, and exits when those it has have ended.
//
// Its code is evaluated from the string below so that it works the same from the sources and
// from the esbuild bundle.
import { type ChildProcess, spawn } from 'node:child_process';

/** Runs a zygote serves before it is replaced by a new one (a new address layout). */
const ZYGOTE_MAX_RUNS = 500;
/** Age after which a zygote takes no more runs, for the same reason. */
const ZYGOTE_MAX_AGE_MS = 10 * 60_000;
/** How long a zygote may take to say it is ready before its tool's runs start processes instead. */
const ZYGOTE_HELLO_MS = 30_000;

const RUNNER_SOURCE = `
const { spawn } = require('node:child_process');
const { statSync } = require('node:fs');
const { constants } = require('node:os');
const STDERR_KEEP_BYTES = ${16 * 1024};
const ZYGOTE_MAX_RUNS = ${ZYGOTE_MAX_RUNS};
const ZYGOTE_MAX_AGE_MS = ${ZYGOTE_MAX_AGE_MS};
const ZYGOTE_HELLO_MS = ${ZYGOTE_HELLO_MS};
const SIGNALS = Object.fromEntries(Object.entries(constants.signals).map(([name, n]) => [n, name]));
const running = new Map();
const note = (event) => process.connected && process.send({ t: 'note', ...event });

process.on('message', (m) => {
  if (m.t === 'kill') return running.get(m.id)?.kill('aborted');
  if (m.t !== 'run') return;
  const out = [];
  let outBytes = 0;
  let errTail = Buffer.alloc(0);
  let killedFor;
  let started;
  const reply = (result) => {
    running.delete(m.id);
    if (process.connected) process.send({ t: 'done', id: m.id, result });
  };
  const run = {
    kill(why) {
      if (killedFor) return;
      killedFor = why;
      started?.kill();
    },
    stdout(c) {
      outBytes += c.length;
      if (outBytes > m.maxStdoutBytes) return run.kill('output-too-large');
      out.push(c);
    },
    stderr(c) {
      errTail = Buffer.concat([errTail, c]);
      if (errTail.length > STDERR_KEEP_BYTES) errTail = errTail.subarray(errTail.length - STDERR_KEEP_BYTES);
    },
    failed(message, code) {
      clearTimeout(timer);
      reply({ kind: 'spawn-failed', message, code });
    },
    ended(exitCode, exitSignal, via) {
      clearTimeout(timer);
      reply({ kind: killedFor ?? 'exited', exitCode, exitSignal, stdout: Buffer.concat(out).toString('utf8'), stderr: errTail.toString('utf8'), via });
    },
  };
  running.set(m.id, run);
  const timer = m.timeoutMs > 0 ? setTimeout(() => run.kill('timeout'), m.timeoutMs) : undefined;
  started = (m.zygote && zygoteFor(m)?.start(m, run)) || startProcess(m, run);
});

// A fresh process for the run.
function startProcess(m, run) {
  let child;
  try {
    child = spawn(m.path, m.args, { stdio: ['ignore', 'pipe', 'pipe'], env: m.env ? { ...process.env, ...m.env } : process.env });
  } catch (e) {
    run.failed(String(e && e.message || e), e && e.code);
    return undefined;
  }
  let spawned = false;
  child.stdout.on('data', (c) => run.stdout(c));
  child.stderr.on('data', (c) => run.stderr(c));
  child.once('spawn', () => { spawned = true; });
  // Before 'spawn' this is a failure to start (ENOENT, EACCES); 'close' may never follow.
  child.once('error', (e) => { if (!spawned) run.failed(e.message, e.code); });
  child.once('close', (exitCode, exitSignal) => { if (spawned) run.ended(exitCode, exitSignal, 'process'); });
  return { kill: () => child.kill('SIGKILL') };
}

// Zygotes (native/tool-zygote.c), one per tool, environment and installed version: the tool
// started once with the zygote library preloaded, forked for each run.
const zygotes = new Map();
/** Keys whose zygote never became ready: their runs start fresh processes. */
const refused = new Set();

function zygoteFor(m) {
  let stamp;
  try {
    // A new build of the tool or of its libraries (ldconfig rewrites the cache) makes a new key.
    const tool = statSync(m.path);
    const cache = statSync('/etc/ld.so.cache', { throwIfNoEntry: false });
    stamp = [tool.ino, tool.size, tool.mtimeMs, cache?.ino, cache?.mtimeMs].join(':');
  } catch {
    return undefined; // no such tool: the plain start reports it
  }
  const key = [m.path, JSON.stringify(m.env ?? {}), m.zygote, stamp].join('\\0');
  if (refused.has(key)) return undefined;
  for (const [k, z] of zygotes) if (k !== key && z.path === m.path) retire(k, z, 'the tool or its environment changed');
  let z = zygotes.get(key);
  if (z === undefined) {
    z = startZygote(key, m);
    zygotes.set(key, z);
  }
  return z;
}

function retire(key, z, why) {
  if (zygotes.get(key) === z) zygotes.delete(key);
  z.retire(why);
}

function startZygote(key, m) {
  const env = { ...process.env, ...m.env, OPENVOD_TOOL_ZYGOTE: '1' };
  env.LD_PRELOAD = [m.zygote, m.env?.LD_PRELOAD].filter(Boolean).join(' ');
  // The blank argument is room for each run's arguments in its command line (ps).
  const child = spawn(m.path, [' '.repeat(4096)], { stdio: ['pipe', 'pipe', 'pipe'], env });
  const bornAt = Date.now();
  const runs = new Map();
  const waiting = [];
  let pid;
  let starts = 0;
  let retired = false;
  let nextId = 0;
  let input = Buffer.alloc(0);
  let untrusted = false;
  let errTail = '';
  const send = (buf) => { if (child.stdin.writable) child.stdin.write(buf); };
  const u32 = (n) => { const b = Buffer.alloc(4); b.writeUInt32LE(n >>> 0); return b; };
  const request = (id, argv) => Buffer.concat([Buffer.from('R'), u32(id), u32(argv.length), ...argv.flatMap((a) => { const b = Buffer.from(a); return [u32(b.length), b]; })]);
  const launch = (w) => {
    const id = ++nextId;
    runs.set(id, w.run);
    w.handle.id = id;
    starts++;
    send(request(id, [m.path, ...w.m.args]));
    if (w.killed) send(Buffer.concat([Buffer.from('K'), u32(id)]));
    if (starts >= ZYGOTE_MAX_RUNS) retire(key, zygote, 'it has served its runs');
  };
  const hello = setTimeout(() => { if (pid === undefined) child.kill('SIGKILL'); }, ZYGOTE_HELLO_MS);
  child.stdin.on('error', () => {});
  child.stderr.on('data', (c) => { errTail = (errTail + c).slice(-2000); });
  child.stdout.on('data', (c) => {
    // Once it has written something that is not the protocol, nothing more it says counts (its
    // hello may still come, in a later chunk, before the kill lands).
    if (untrusted) return;
    input = input.length === 0 ? c : Buffer.concat([input, c]);
    let at = 0;
    while (input.length - at >= 9) {
      const type = String.fromCharCode(input[at]);
      const a = input.readUInt32LE(at + 1);
      const b = input.readUInt32LE(at + 5);
      if (type === 'O') {
        if (input.length - at < 13) break;
        const len = input.readUInt32LE(at + 9);
        if (input.length - at < 13 + len) break;
        const run = runs.get(a);
        const bytes = input.subarray(at + 13, at + 13 + len);
        if (run) (b === 1 ? run.stdout(Buffer.from(bytes)) : run.stderr(Buffer.from(bytes)));
        at += 13 + len;
        continue;
      }
      at += 9;
      if (type === 'H') {
        pid = a;
        clearTimeout(hello);
        note({ event: 'zygote', path: m.path, pid });
        for (const w of waiting.splice(0)) launch(w);
      } else if (type === 'X') {
        const run = runs.get(a);
        runs.delete(a);
        const signal = (b & 0x7f) === 0 ? null : SIGNALS[b & 0x7f] ?? 'SIG' + (b & 0x7f);
        // A run that crashed (a signal OpenVOD did not send): the next runs get a new zygote, so
        // a new address layout, rather than this one's again.
        if (signal !== null && signal !== 'SIGKILL') retire(key, zygote, 'a run ended by ' + signal);
        run?.ended(signal === null ? (b >> 8) & 0xff : null, signal, 'zygote');
      } else if (type === 'F') {
        const run = runs.get(a);
        runs.delete(a);
        run?.failed('the media tool zygote could not fork (errno ' + b + ')', 'EAGAIN');
      } else {
        // Not the protocol (the tool wrote to stdout before main?): this zygote cannot be trusted.
        errTail += '\\nunexpected output from the zygote';
        untrusted = true;
        child.kill('SIGKILL');
        input = Buffer.alloc(0);
        return;
      }
    }
    input = at === input.length ? Buffer.alloc(0) : input.subarray(at);
  });
  child.on('error', () => {});
  child.on('close', (code, signal) => {
    clearTimeout(hello);
    if (zygotes.get(key) === zygote) zygotes.delete(key);
    if (pid === undefined) {
      // It never became a zygote (the library could not be preloaded, a static build, …): this
      // tool's runs start fresh processes, as they always could.
      refused.add(key);
      note({ event: 'zygote-refused', path: m.path, reason: errTail.trim().split('\\n').slice(-2).join(' | ') || 'exited (' + (signal ?? code) + ')' });
      for (const w of waiting.splice(0)) {
        if (w.killed) w.run.ended(null, null, 'process'); // killed while it waited: never started
        else w.handle.fallback = startProcess(w.m, w.run);
      }
      return;
    }
    for (const run of runs.values()) run.failed('the media tool zygote exited (' + (signal ?? code) + ')');
    runs.clear();
  });
  const zygote = {
    path: m.path,
    start(m, run) {
      if (retired) return undefined;
      if (Date.now() - bornAt > ZYGOTE_MAX_AGE_MS) {
        retire(key, zygote, 'it is old');
        return undefined;
      }
      const handle = {
        id: undefined,
        fallback: undefined,
        kill() {
          if (handle.fallback) return handle.fallback.kill();
          if (handle.id !== undefined) send(Buffer.concat([Buffer.from('K'), u32(handle.id)]));
          else w.killed = true;
        },
      };
      const w = { m, run, handle, killed: false };
      if (pid === undefined) waiting.push(w);
      else launch(w);
      return handle;
    },
    retire(why) {
      if (retired) return;
      retired = true;
      note({ event: 'zygote-retired', path: m.path, pid, why });
      // It takes no more runs and exits once those it has have ended; it still takes their kills.
      send(Buffer.from('Q'));
    },
  };
  return zygote;
}

// The server is gone: nothing it started may outlive it (a zygote and its runs die with this
// process, PR_SET_PDEATHSIG).
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
  /**
   * The zygote library (native/tool-zygote.c): runs of this tool with this environment are forked
   * from one started instance of it. Undefined: a process is started for the run.
   */
  zygote?: string | undefined;
}

/** What the runner answers: run-tool.ts's result, with a spawn error as plain fields. */
export type ToolReply =
  | {
      kind: 'exited' | 'timeout' | 'aborted' | 'output-too-large'; exitCode: number | null; exitSignal: NodeJS.Signals | null; stdout: string; stderr: string;
      /** How the run was started: a process of its own, or forked from the tool's zygote. */
      via: 'process' | 'zygote';
    }
  | { kind: 'spawn-failed'; message: string; code?: string | undefined };

interface Pending {
  resolve(reply: ToolReply): void;
  /** The runner the request went to. */
  runner: ChildProcess;
}

/** What happened to a tool's zygote: started, retired (and why), or refused (it never became ready). */
export interface ZygoteEvent {
  event: 'zygote' | 'zygote-retired' | 'zygote-refused';
  path: string;
  pid?: number | undefined;
  why?: string | undefined;
  reason?: string | undefined;
}

class ToolRunner {
  /** Hears the zygotes' events (the server logs them). */
  onZygoteEvent: ((event: ZygoteEvent) => void) | undefined;
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
    child.on('message', (m: { t: string; id: number; result: ToolReply } & ZygoteEvent) => {
      if (m.t === 'done') this.settle(m.id, m.result);
      else if (m.t === 'note') this.onZygoteEvent?.({ event: m.event, path: m.path, pid: m.pid, why: m.why, reason: m.reason });
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
