// An S3-compatible server for tests: s3rver 3.7.1 in a child process (it needs
// `--openssl-legacy-provider` on Node 20, which test processes don't have), on a free loopback
// port, with its own temp directory. See s3rver-child.cjs for the S3 behaviours it restores on
// top of s3rver (atomic writes, list order, ranges, multipart ETags, AbortMultipartUpload,
// ListMultipartUploads, UploadPartCopy).
//
// Clients must use path-style addressing (`forcePathStyle: true`) and the returned region and
// fixed credentials (S3RVER / S3RVER). The child exits when the test process does, even on a
// SIGKILL; stop() ends it and removes its directory.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface S3rverOptions {
  /** Buckets that exist from the start (more can be made with CreateBucket). */
  buckets?: string[];
}

export interface S3rverInstance {
  /** `http://127.0.0.1:<port>`. */
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** s3rver's storage directory (one sub-directory per bucket). */
  directory: string;
  /** Ends the server and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

const CHILD = fileURLToPath(new URL('./s3rver-child.cjs', import.meta.url));
/** A bound against a hung start-up, not a timing claim. */
const START_LIMIT_MS = 60_000;
const STOP_LIMIT_MS = 10_000;
const MAX_STDERR_CHARS = 64 * 1024;

export async function startS3rver(opts: S3rverOptions = {}): Promise<S3rverInstance> {
  const directory = await mkdtemp(join(tmpdir(), 'openvod-s3rver-'));
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT; // the child is a plain script, not a test file
  delete env.NODE_OPTIONS;
  const child = spawn(process.execPath, ['--openssl-legacy-provider', CHILD, JSON.stringify({ directory, buckets: opts.buckets ?? [] })], {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    env,
  });
  // Kept for the error when start-up fails; once the server runs, also passed on to our stderr
  // (s3rver is silent: only its internal errors and crashes get there).
  let stderr = '';
  let ready = false;
  child.stderr?.setEncoding('utf8').on('data', (data: string) => {
    stderr = (stderr + data).slice(-MAX_STDERR_CHARS);
    if (ready) process.stderr.write(data.replace(/^(?=.)/gmu, '[s3rver] '));
  });
  let stopping = false;

  let port: number;
  try {
    port = await readyPort(child, () => stderr);
  } catch (error) {
    await kill(child);
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
  ready = true;
  child.on('exit', (code, signal) => {
    if (!stopping) process.stderr.write(`s3rver (port ${port}) exited unexpectedly (code ${String(code)}, signal ${String(signal)})\n`);
  });
  // From now on the child must not keep the test process alive (a forgotten stop() must not
  // hang the run); it exits by itself when our IPC channel closes.
  child.unref();
  child.channel?.unref();
  unrefStream(child.stderr);

  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1', // s3rver only accepts continuation tokens minted for us-east-1
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    directory,
    stop() {
      stopping = true;
      stopped ??= (async () => {
        await kill(child);
        await rm(directory, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}

/** Waits for the child's `ready` message; rejects with its stderr if it exits or hangs first. */
function readyPort(child: ChildProcess, stderr: () => string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const fail = (reason: string): void => {
      cleanup();
      reject(new Error(`s3rver did not start: ${reason}${stderr() === '' ? '' : `\n${stderr()}`}`));
    };
    const onMessage = (message: unknown): void => {
      const port = (message as { type?: unknown; port?: unknown } | null)?.port;
      if ((message as { type?: unknown } | null)?.type !== 'ready' || typeof port !== 'number') return;
      cleanup();
      resolve(port);
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => fail(`it exited (code ${String(code)}, signal ${String(signal)})`);
    const onError = (error: Error): void => fail(error.message);
    const timer = setTimeout(() => fail(`no answer within ${START_LIMIT_MS} ms`), START_LIMIT_MS);
    const cleanup = (): void => {
      clearTimeout(timer);
      child.off('message', onMessage).off('exit', onExit).off('error', onError);
    };
    child.on('message', onMessage).on('exit', onExit).on('error', onError);
  });
}

/** SIGTERM, then SIGKILL if the child is still there after STOP_LIMIT_MS; resolves once it is gone. */
async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.ref(); // keep the test process alive while we wait
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_LIMIT_MS);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}

function unrefStream(stream: unknown): void {
  const unref = (stream as { unref?: unknown } | null)?.unref;
  if (typeof unref === 'function') unref.call(stream);
}
