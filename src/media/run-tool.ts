// Runs one ffmpeg/ffprobe process to completion. The only place in media/ that spawns: it owns
// the child's whole life (timeout, AbortSignal, output caps) and always waits for the process to
// have exited before settling, so a caller that sees a result never leaves a child behind.
// It never throws: it returns what happened, and each adapter maps that to its own error type.
import { spawn } from 'node:child_process';
import { toolEnv } from './ffmpeg-binaries.js';

export interface RunToolOptions {
  signal?: AbortSignal | undefined;
  /** Kill the process after this long. Undefined or ≤ 0: no timeout. */
  timeoutMs?: number | undefined;
  /** Kill the process when stdout grows past this (default 16 MiB). */
  maxStdoutBytes?: number | undefined;
}

interface Captured {
  stdout: string;
  /** The last {@link STDERR_KEEP_BYTES} bytes of stderr. */
  stderr: string;
}

export type RunToolResult =
  | ({ kind: 'exited'; exitCode: number | null; exitSignal: NodeJS.Signals | null } & Captured)
  | ({ kind: 'timeout'; timeoutMs: number } & Captured)
  | ({ kind: 'aborted'; reason: unknown } & Captured)
  | ({ kind: 'output-too-large'; maxStdoutBytes: number } & Captured)
  | { kind: 'spawn-failed'; error: Error };

export const DEFAULT_MAX_STDOUT_BYTES = 16 * 1024 * 1024;
const STDERR_KEEP_BYTES = 16 * 1024;

export function runTool(path: string, args: readonly string[], opts: RunToolOptions = {}): Promise<RunToolResult> {
  const { signal } = opts;
  if (signal?.aborted) return Promise.resolve({ kind: 'aborted', reason: signal.reason, stdout: '', stderr: '' });
  const maxStdoutBytes = opts.maxStdoutBytes ?? DEFAULT_MAX_STDOUT_BYTES;

  return new Promise((resolve) => {
    const child = spawn(path, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true, env: toolEnv(path) });
    const stdoutChunks: Buffer[] = [];
    let stdoutBytes = 0;
    let stderrTail = Buffer.alloc(0);
    let spawned = false;
    let settled = false;
    // Why we killed the process, if we did; decides the result once it has exited.
    let killedFor: { kind: 'timeout' } | { kind: 'aborted'; reason: unknown } | { kind: 'output-too-large' } | undefined;

    const kill = (why: NonNullable<typeof killedFor>): void => {
      if (killedFor) return;
      killedFor = why;
      child.kill('SIGKILL');
    };
    const onAbort = (): void => kill({ kind: 'aborted', reason: signal?.reason });
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = opts.timeoutMs !== undefined && opts.timeoutMs > 0 ? setTimeout(() => kill({ kind: 'timeout' }), opts.timeoutMs) : undefined;

    const finish = (result: RunToolResult): void => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(result);
    };

    child.stdout.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (stdoutBytes > maxStdoutBytes) return kill({ kind: 'output-too-large' });
      stdoutChunks.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderrTail = Buffer.concat([stderrTail, chunk]);
      if (stderrTail.length > STDERR_KEEP_BYTES) stderrTail = stderrTail.subarray(stderrTail.length - STDERR_KEEP_BYTES);
    });
    child.once('spawn', () => {
      spawned = true;
    });
    child.once('error', (error) => {
      // Before 'spawn' this is a failure to start (ENOENT, EACCES); 'close' may never follow.
      if (!spawned) finish({ kind: 'spawn-failed', error });
    });
    child.once('close', (exitCode, exitSignal) => {
      const captured: Captured = { stdout: Buffer.concat(stdoutChunks).toString('utf8'), stderr: stderrTail.toString('utf8') };
      if (!spawned) return; // 'error' already settled it
      switch (killedFor?.kind) {
        case undefined:
          return finish({ kind: 'exited', exitCode, exitSignal, ...captured });
        case 'timeout':
          return finish({ kind: 'timeout', timeoutMs: opts.timeoutMs ?? 0, ...captured });
        case 'aborted':
          return finish({ kind: 'aborted', reason: killedFor.reason, ...captured });
        case 'output-too-large':
          return finish({ kind: 'output-too-large', maxStdoutBytes, ...captured });
      }
    });
  });
}

/** Trims tool stderr for an error message: whitespace collapsed per line, at most `maxChars`, keeping the end. */
export function stderrExcerpt(stderr: string, maxChars = 600): string {
  const text = stderr
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join(' | ');
  if (text === '') return '(no output on stderr)';
  return text.length > maxChars ? `…${text.slice(text.length - maxChars)}` : text;
}
