// `openvod migrate` as a child process for bench/migrate: `node bin/openvod.js migrate …` once
// src/cli/main.ts registers the command, until then the same command under the test entry
// (test/migrate/migrate-cli.fixture.ts). The JSON-lines summary is parsed from stdout.
import { readFileSync } from 'node:fs';
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

export function migrateArgv(root: string): string[] {
  const main = readFileSync(join(root, 'src/cli/main.ts'), 'utf8');
  return main.includes('migrateCommand') ? [join(root, 'bin/openvod.js')] : ['--import', 'tsx', join(root, 'test/migrate/migrate-cli.fixture.ts')];
}

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
