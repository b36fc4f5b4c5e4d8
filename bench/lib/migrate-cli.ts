// `openvod migrate` as a child process for bench/migrate (`node bin/openvod.js migrate … --json`):
// the JSON-lines summary is parsed from stdout, and the migrator's CPU is read at its `start` event
// so that start-up can be told from per-item work.
import { join } from 'node:path';
import { spawnNode, type Child } from './child.js';
import { processCpuMs } from './proc-cpu.js';

export interface MigrateSummary {
  Total: number;
  Succeeded: number;
  Failed: number;
  Bytes: number;
  ExitCode: number;
  ElapsedS: number;
  ErrorCodes: Record<string, number>;
}

export const migrateArgv = (root: string): string[] => [join(root, 'bin/openvod.js')];

export interface MigrateChild {
  readonly child: Child;
  /** Resolves with the summary when the migrator exits (undefined if it printed none). */
  readonly done: Promise<{ summary: MigrateSummary | undefined; exitCode: number | null; startedAtMs: number | undefined; summaryAtMs: number | undefined; cpuAtStartMs: number | undefined }>;
}

export function spawnMigrate(root: string, args: readonly string[], env: NodeJS.ProcessEnv): MigrateChild {
  let summary: MigrateSummary | undefined;
  let startedAtMs: number | undefined;
  let summaryAtMs: number | undefined;
  let cpuAtStartMs: number | undefined;
  const child: Child = spawnNode('migrate', [...migrateArgv(root), 'migrate', ...args, '--json'], env, {
    onStdoutLine(line) {
      if (startedAtMs === undefined && line.includes('"Event":"start"')) {
        startedAtMs = performance.now();
        // The migrator's CPU so far: module loading and set-up, not per-item work.
        cpuAtStartMs = processCpuMs(child.process.pid);
      }
      if (!line.includes('"Event":"summary"')) return;
      summaryAtMs = performance.now();
      try {
        summary = JSON.parse(line) as MigrateSummary;
      } catch {
        // not ours
      }
    },
  });
  const done = new Promise<{ summary: MigrateSummary | undefined; exitCode: number | null; startedAtMs: number | undefined; summaryAtMs: number | undefined; cpuAtStartMs: number | undefined }>((resolve) => {
    child.process.once('exit', (code) => resolve({ summary, exitCode: code, startedAtMs, summaryAtMs, cpuAtStartMs }));
  });
  return { child, done };
}
