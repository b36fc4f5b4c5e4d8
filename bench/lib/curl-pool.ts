// The baseline downloader for bench/ingest: `curl -sS --fail -o <file> <url>`, one process per
// file, at most `parallel` at once (what `xargs -P` would do, without a shell in between), timed
// from the first spawn to the last exit. Every file must come out whole: a failed curl or a file
// of the wrong size is reported per item. The signal kills the curls in flight.
import { spawn, type ChildProcess } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { cpuSpentMs, reapedChildrenCpuMs } from './proc-cpu.js';

export interface CurlItem {
  url: string;
  outPath: string;
  expectedBytes: number;
}

export interface CurlRun {
  elapsedMs: number;
  bytes: number;
  /** CPU used by all the curl processes (Linux: this process's reaped children), ms. */
  curlCpuMs: number | undefined;
  failures: Array<{ url: string; reason: string }>;
}

export async function runCurlPool(items: readonly CurlItem[], parallel: number, signal: AbortSignal, curlPath = 'curl'): Promise<CurlRun> {
  const running = new Set<ChildProcess>();
  const onAbort = (): void => {
    for (const child of running) child.kill('SIGKILL');
  };
  signal.addEventListener('abort', onAbort, { once: true });
  const failures: CurlRun['failures'] = [];
  let bytes = 0;
  let next = 0;
  const cpu0 = reapedChildrenCpuMs('self');
  const startedAt = performance.now();

  const one = (item: CurlItem): Promise<void> =>
    new Promise((resolve) => {
      const child = spawn(curlPath, ['-sS', '--fail', '-o', item.outPath, item.url], { stdio: ['ignore', 'ignore', 'pipe'] });
      running.add(child);
      let stderr = '';
      child.stderr?.on('data', (d: Buffer) => {
        stderr = (stderr + d.toString('utf8')).slice(-2000);
      });
      child.once('error', (err) => {
        running.delete(child);
        failures.push({ url: item.url, reason: `could not run curl: ${err.message}` });
        resolve();
      });
      child.once('close', (code, sig) => {
        running.delete(child);
        if (code !== 0) {
          failures.push({ url: item.url, reason: `curl ${sig ? `killed by ${sig}` : `exited ${code}`}: ${stderr.trim()}` });
          resolve();
          return;
        }
        stat(item.outPath).then(
          (s) => {
            if (s.size === item.expectedBytes) bytes += s.size;
            else failures.push({ url: item.url, reason: `got ${s.size} bytes, expected ${item.expectedBytes}` });
            resolve();
          },
          (err: Error) => {
            failures.push({ url: item.url, reason: `no output file: ${err.message}` });
            resolve();
          },
        );
      });
    });

  const lane = async (): Promise<void> => {
    while (next < items.length && !signal.aborted) {
      const item = items[next++] as CurlItem;
      await one(item);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(parallel, items.length) }, lane));
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  const elapsedMs = performance.now() - startedAt;
  const cpu1 = reapedChildrenCpuMs('self');
  return { elapsedMs, bytes, curlCpuMs: cpuSpentMs(cpu1, cpu0), failures };
}
