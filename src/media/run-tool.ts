// Runs one ffmpeg/ffprobe process to completion. The only place in media/ that starts one: it owns
// the child's whole life (timeout, AbortSignal, output caps) and always waits for the process to
// have exited before settling, so a caller that sees a result never leaves a child behind.
// It never throws: it returns what happened, and each adapter maps that to its own error type.
// The process is started by the tool runner (tool-runner.ts), not forked from this big process, or
// forked from the tool's zygote where zygotes are on (tool-zygote.ts).
import { toolEnv } from './ffmpeg-binaries.js';
import { toolRunner } from './tool-runner.js';
import { zygoteLibrary } from './tool-zygote.js';

export interface RunToolOptions {
  signal?: AbortSignal | undefined;
  /** Kill the process after this long. Undefined or ≤ 0: no timeout. */
  timeoutMs?: number | undefined;
  /** Kill the process when stdout grows past this (default 16 MiB). */
  maxStdoutBytes?: number | undefined;
}

interface Captured {
  stdout: string;
  /** The last 16 KiB of stderr. */
  stderr: string;
}

export type RunToolResult =
  | ({ kind: 'exited'; exitCode: number | null; exitSignal: NodeJS.Signals | null } & Captured)
  | ({ kind: 'timeout'; timeoutMs: number } & Captured)
  | ({ kind: 'aborted'; reason: unknown } & Captured)
  | ({ kind: 'output-too-large'; maxStdoutBytes: number } & Captured)
  | { kind: 'spawn-failed'; error: Error };

export const DEFAULT_MAX_STDOUT_BYTES = 16 * 1024 * 1024;

export async function runTool(path: string, args: readonly string[], opts: RunToolOptions = {}): Promise<RunToolResult> {
  const { signal } = opts;
  if (signal?.aborted) return { kind: 'aborted', reason: signal.reason, stdout: '', stderr: '' };
  const maxStdoutBytes = opts.maxStdoutBytes ?? DEFAULT_MAX_STDOUT_BYTES;
  const timeoutMs = opts.timeoutMs !== undefined && opts.timeoutMs > 0 ? opts.timeoutMs : 0;
  const run = toolRunner().run({ path, args, env: toolEnv(path), timeoutMs, maxStdoutBytes, zygote: zygoteLibrary(path) });
  const onAbort = (): void => run.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  let reply;
  try {
    reply = await run.reply;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  switch (reply.kind) {
    case 'spawn-failed':
      return { kind: 'spawn-failed', error: Object.assign(new Error(reply.message), { code: reply.code }) };
    case 'exited':
      return { kind: 'exited', exitCode: reply.exitCode, exitSignal: reply.exitSignal, stdout: reply.stdout, stderr: reply.stderr };
    case 'timeout':
      return { kind: 'timeout', timeoutMs, stdout: reply.stdout, stderr: reply.stderr };
    case 'aborted':
      return { kind: 'aborted', reason: signal?.reason, stdout: reply.stdout, stderr: reply.stderr };
    case 'output-too-large':
      return { kind: 'output-too-large', maxStdoutBytes, stdout: reply.stdout, stderr: reply.stderr };
  }
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
