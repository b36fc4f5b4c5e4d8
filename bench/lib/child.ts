// Child processes for the targets: spawned with a pipe on stdin (a child we wrote exits when the
// pipe closes, so it dies with the bench), output kept as a bounded tail for error reports,
// readiness by polling a URL, and a stop that asks politely (SIGTERM) before SIGKILL.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { bundleIsFresh, bundlePath } from '../../bin/bundle-freshness.js';

const OUTPUT_TAIL_CHARS = 16_000;

/**
 * The node flags of `npm start` (`node <flags> bin/openvod.js serve` in package.json): the benches
 * start `openvod serve` as `npm start` does.
 */
export function startScriptNodeFlags(packageJson: string): string[] {
  const start = (JSON.parse(readFileSync(packageJson, 'utf8')) as { scripts?: { start?: string } }).scripts?.start ?? '';
  const m = /^node((?: -\S+)*) bin\/openvod\.js serve$/.exec(start);
  if (!m) throw new Error(`${packageJson}: the start script is not "node [flags] bin/openvod.js serve": ${start}`);
  return (m[1] ?? '').split(' ').filter(Boolean);
}

/**
 * Node's arguments for `openvod serve` started as `npm start` starts it: the start script's
 * flags, bin/openvod.js, `serve`. Warns on stderr when the bundle is older than a file in src/:
 * bin/openvod.js then runs the sources through tsx, and the bench would measure tsx too (≈ 44 MiB
 * more RSS for an upload server, and a slower start).
 */
export function openvodServeArgs(root: string): string[] {
  if (!bundleIsFresh(root)) {
    process.stderr.write(`warning: ${bundlePath(root)} is older than src/: the server will run the sources through tsx; run \`node scripts/build.js\` first\n`);
  }
  return [...startScriptNodeFlags(join(root, 'package.json')), join(root, 'bin/openvod.js'), 'serve'];
}

export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  output(): string;
  /** Resolves once the URL answers 200; rejects if the child exits first or time runs out. */
  waitReady(url: string, timeoutMs: number): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the child has exited. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnOptions {
  /** Called with every complete line the child writes to stdout (e.g. its JSON log lines). */
  onStdoutLine?(line: string): void;
}

export function spawnNode(name: string, args: readonly string[], env: NodeJS.ProcessEnv, options: SpawnOptions = {}): Child {
  const child = spawn(process.execPath, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let tail = '';
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout?.on('data', keep);
  const { onStdoutLine } = options;
  if (onStdoutLine !== undefined) {
    let partial = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line !== '') onStdoutLine(line);
    });
  }
  child.stderr?.on('data', keep);
  child.stdin?.on('error', () => {}); // the child may be gone before we close its stdin
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  let stopping: Promise<void> | undefined;

  return {
    name,
    process: child,
    output: () => tail,
    async waitReady(url, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(`${name} exited before it was ready (${child.exitCode ?? child.signalCode}):\n${tail}`);
        }
        try {
          const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
          await res.arrayBuffer();
          if (res.status === 200) return;
        } catch {
          // not listening yet
        }
        if (Date.now() > deadline) throw new Error(`${name} was not ready within ${timeoutMs} ms:\n${tail}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    stop(graceMs = 10_000) {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
        child.stdin?.destroy();
      })();
      return stopping;
    },
  };
}

/** A loopback port that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
