// Finds the main-thread .cpuprofile a `node --cpu-prof --cpu-prof-dir <dir>` process wrote on exit.
// Node names them CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile; thread 0 is the main one.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export function mainThreadProfile(dir: string, pid: number | undefined): string | undefined {
  if (pid === undefined) return undefined;
  const main = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile') && f.includes(`.${pid}.0.`)).map((f) => join(dir, f));
  return main.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
}
