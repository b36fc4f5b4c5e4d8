// Starts a real `openvod serve` child process on its own data dir, database and port.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { VodRpcClient } from '../../src/sdk/rpc-client.js';
import { createTestDatabase, type TestDatabase } from './store.js';

export const BIN = fileURLToPath(new URL('../../bin/openvod.js', import.meta.url));
export const TEST_KEY_ID = 'LTAItestRootKey00000001';
export const TEST_KEY_SECRET = 'testRootSecret0000000000000001';

/** An RPC client of a test server, signed with the root test key, POSTing its parameters. */
export const clientFor = (server: { readonly url: string }): VodRpcClient =>
  new VodRpcClient({ endpoint: server.url, accessKeyId: TEST_KEY_ID, accessKeySecret: TEST_KEY_SECRET, method: 'POST' });

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface TestServer {
  url: string;
  port: number;
  db: TestDatabase;
  child: ChildProcess;
  output(): string;
  /** SIGTERM and wait for exit; returns the exit code. */
  stop(): Promise<number | null>;
  kill(signal: NodeJS.Signals): Promise<void>;
  cleanup(): Promise<void>;
}

export interface StartOptions {
  db?: TestDatabase;
  env?: Record<string, string | undefined>;
  args?: string[];
  /** Keep the root key out of the environment (to test generation). */
  noRootKey?: boolean;
}

export async function startTestServer(opts: StartOptions = {}): Promise<TestServer> {
  const db = opts.db ?? (await createTestDatabase());
  // The port is free when probed, but another test process may take it before the child binds
  // it: then the child exits with EADDRINUSE and we try another port.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOn(await freePort(), db, opts);
    } catch (err) {
      if (!(err instanceof PortTakenError) || attempt === 3) {
        if (!opts.db) await db.cleanup();
        throw err;
      }
    }
  }
}

class PortTakenError extends Error {}

async function startOn(port: number, db: TestDatabase, opts: StartOptions): Promise<TestServer> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    OPENVOD_LOG_LEVEL: 'warn',
    OPENVOD_DATABASE_URL: db.databaseUrl,
    OPENVOD_ACCESS_KEY_ID: opts.noRootKey ? undefined : TEST_KEY_ID,
    OPENVOD_ACCESS_KEY_SECRET: opts.noRootKey ? undefined : TEST_KEY_SECRET,
    ...opts.env,
  };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  const child = spawn(process.execPath, [BIN, 'serve', '--data-dir', db.dataDir, '--port', String(port), ...(opts.args ?? [])], {
    env: env as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(async () => {
      if (child.exitCode !== null) {
        if (/EADDRINUSE/.test(out)) throw new PortTakenError(`port ${port} was taken`);
        throw new Error(`server exited early (${child.exitCode}):\n${out}`);
      }
      // Healthy must mean this child: another process may answer on the port (see above).
      if (!out.includes(`OpenVOD listening on ${url}`)) return false;
      try {
        const r = await fetch(`${url}/healthz`);
        return r.status === 200;
      } catch {
        return false;
      }
    }, 30_000, () => `server did not become healthy:\n${out}`);
  } catch (err) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    throw err;
  }
  const server: TestServer = {
    url,
    port,
    db,
    child,
    output: () => out,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
    async kill(signal) {
      child.kill(signal);
      await exited;
    },
    async cleanup() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
      if (!opts.db) await db.cleanup();
    },
  };
  return server;
}

export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, message: () => string = () => 'timed out'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(message());
    await new Promise((r) => setTimeout(r, 50));
  }
}
