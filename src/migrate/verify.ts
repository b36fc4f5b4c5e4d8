// Verification after the target reports success (issue 7 §8): the target's size, MD5 and
// duration against what the source said (and, for a push, against the bytes actually sent).
// A check runs only when both sides know the value. Pure.
import { MigrateError } from './migrate.errors.js';

export interface SourceFacts {
  readonly size?: number | null | undefined;
  readonly md5?: string | null | undefined;
  readonly durationS?: number | null | undefined;
  /** What a push sent, counted and hashed by the SDK. */
  readonly pushedSize?: number | null | undefined;
  readonly pushedMd5?: string | null | undefined;
}

export interface TargetFacts {
  readonly size?: number | undefined;
  readonly md5?: string | undefined;
  readonly durationS?: number | undefined;
}

const known = <T>(v: T | null | undefined): v is T => v !== null && v !== undefined;

/** The first mismatch as an item failure, or undefined when everything both sides know agrees. */
export function verifyMigrated(source: SourceFacts, target: TargetFacts, toleranceS: number): MigrateError | undefined {
  for (const [what, expected] of [['source', source.size], ['pushed', source.pushedSize]] as const) {
    if (known(expected) && known(target.size) && expected !== target.size) {
      return new MigrateError('Migrate.SizeMismatch', `the target holds ${target.size} bytes, the ${what} had ${expected}`);
    }
  }
  for (const [what, expected] of [['source', source.md5], ['pushed', source.pushedMd5]] as const) {
    if (known(expected) && expected !== '' && known(target.md5) && target.md5 !== '' && expected.toLowerCase() !== target.md5.toLowerCase()) {
      return new MigrateError('Migrate.Md5Mismatch', `the target's MD5 is ${target.md5}, the ${what}'s ${expected.toLowerCase()}`);
    }
  }
  if (known(source.durationS) && known(target.durationS) && Math.abs(source.durationS - target.durationS) > toleranceS) {
    return new MigrateError(
      'Migrate.DurationMismatch',
      `the target's duration is ${target.durationS} s, the source's ${source.durationS} s (tolerance ${toleranceS} s)`,
    );
  }
  return undefined;
}

/** A number from an API field that may be a number or a numeric string. */
export function numberField(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}
