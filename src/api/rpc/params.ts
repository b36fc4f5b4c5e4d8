// Typed reads of RPC parameters (all strings on the wire). Every failure is an ApiError that
// names the parameter.
import { ApiError, invalid, missing } from '../../domain/errors.js';

export class Params {
  constructor(private readonly values: ReadonlyMap<string, string>) {}

  has(name: string): boolean {
    const v = this.values.get(name);
    return v !== undefined && v !== '';
  }

  /** The raw value, or undefined when absent or empty. */
  get(name: string): string | undefined {
    const v = this.values.get(name);
    return v === undefined || v === '' ? undefined : v;
  }

  /** Present (possibly empty) — for fields where an empty value means "clear". */
  raw(name: string): string | undefined {
    return this.values.get(name);
  }

  required(name: string): string {
    const v = this.get(name);
    if (v === undefined) throw missing(name);
    return v;
  }

  int(name: string, opts: { min?: number; max?: number } = {}): number | undefined {
    const v = this.get(name);
    if (v === undefined) return undefined;
    if (!/^-?\d{1,15}$/.test(v)) throw invalid(name, 'It must be an integer.');
    const n = Number(v);
    if (opts.min !== undefined && n < opts.min) throw invalid(name, `It must be at least ${opts.min}.`);
    if (opts.max !== undefined && n > opts.max) throw invalid(name, `It must be at most ${opts.max}.`);
    return n;
  }

  bool(name: string): boolean | undefined {
    const v = this.get(name);
    if (v === undefined) return undefined;
    if (v === 'true' || v === 'false') return v === 'true';
    throw invalid(name, 'It must be true or false.');
  }

  /** A comma-separated list, trimmed, empties dropped, at most `max` entries. */
  list(name: string, opts: { max: number; tooMany?: ApiError }): string[] | undefined {
    const v = this.get(name);
    if (v === undefined) return undefined;
    const items = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (items.length > opts.max) throw opts.tooMany ?? invalid(name, `It accepts at most ${opts.max} values.`);
    return items;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[]): T | undefined {
    const v = this.get(name);
    if (v === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(v)) throw invalid(name, `It must be one of ${allowed.join(', ')}.`);
    return v as T;
  }
}
