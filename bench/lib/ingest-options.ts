// Command-line options of bench/ingest (see ingest.ts for what they do). Pure: parses and
// validates, reporting every bad value at once.
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

export const USAGE = 'usage: node --import tsx bench/ingest.ts [--quick] [--large-count 20] [--large-mb 100] [--small-count 500] [--small-mb 1] ' +
  '[--big-gb 2] [--large-parallel 8] [--small-parallel 16] [--rounds 1] [--no-warmup] [--md5-baseline] [--cold] [--dir <dir>] [--cpu-prof <dir>]';

export interface Options {
  large: { count: number; mib: number; parallel: number };
  small: { count: number; mib: number; parallel: number };
  bigGib: number;
  /** curl/OpenVOD pairs per scenario (alternating order); the median counts. */
  rounds: number;
  warmup: boolean;
  /** Also time curl + md5sum of each file (the same work as OpenVOD's download, done the shell way). */
  md5Baseline: boolean;
  cold: boolean;
  dir: string;
  quick: boolean;
  cpuProfDir: string | undefined;
}

export class UsageError extends Error {}

export function parseOptions(argv: string[]): Options {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv,
      options: {
        quick: { type: 'boolean', default: false }, cold: { type: 'boolean', default: false }, dir: { type: 'string' },
        'large-count': { type: 'string' }, 'large-mb': { type: 'string' }, 'small-count': { type: 'string' }, 'small-mb': { type: 'string' },
        'big-gb': { type: 'string' }, 'large-parallel': { type: 'string' }, 'small-parallel': { type: 'string' }, 'cpu-prof': { type: 'string' },
        rounds: { type: 'string' }, 'no-warmup': { type: 'boolean', default: false }, 'md5-baseline': { type: 'boolean', default: false },
      },
    }).values;
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${USAGE}`);
  }
  const quick = values.quick === true;
  const problems: string[] = [];
  // --quick only changes the defaults: a flag given explicitly wins.
  const num = (name: string, full: number, fast: number, min: number, max: number, integer = true): number => {
    const raw = values[name];
    const n = raw === undefined ? (quick ? fast : full) : Number(raw);
    if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) problems.push(`--${name}: "${String(raw)}" must be ${integer ? 'an integer' : 'a number'} in ${min}..${max}`);
    return n;
  };
  const options: Options = {
    large: { count: num('large-count', 20, 4, 0, 10_000), mib: num('large-mb', 100, 50, 1, 100_000, false), parallel: num('large-parallel', 8, 8, 1, 64) },
    small: { count: num('small-count', 500, 100, 0, 100_000), mib: num('small-mb', 1, 1, 0.25, 100_000, false), parallel: num('small-parallel', 16, 16, 1, 64) },
    bigGib: num('big-gb', 2, 0.5, 0, 64, false),
    rounds: num('rounds', 1, 1, 1, 50),
    warmup: values['no-warmup'] !== true,
    md5Baseline: values['md5-baseline'] === true,
    cold: values.cold === true,
    dir: resolve(typeof values.dir === 'string' ? values.dir : tmpdir()),
    quick,
    cpuProfDir: typeof values['cpu-prof'] === 'string' ? resolve(values['cpu-prof']) : undefined,
  };
  if (problems.length > 0) throw new UsageError(`invalid options:\n  - ${problems.join('\n  - ')}\n${USAGE}`);
  return options;
}

