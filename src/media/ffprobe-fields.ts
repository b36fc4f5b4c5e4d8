// Readers for raw ffprobe JSON values. ffprobe prints many numbers as strings ("48000",
// "2.000000"), prints "N/A" for unknowns when optional fields are shown, and "0/0" for unknown
// rates; older and newer builds differ. Every reader returns `undefined` for anything unusable,
// never NaN, so the mapper above it only deals with "known" or "not known".

export type RawObject = Readonly<Record<string, unknown>>;

export function asObject(v: unknown): RawObject | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as RawObject) : undefined;
}

/** A non-empty string other than "N/A"/"unknown"; numbers are stringified. */
export function str(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  return s === '' || s === 'N/A' || s === 'unknown' ? undefined : s;
}

/** A finite number from a number or a numeric string. */
export function num(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  const s = str(v);
  if (s === undefined || !/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(s)) return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
}

/** Like {@link num} but only values ≥ 0 (sizes, durations, counts, bit rates). */
export function nonNegative(v: unknown): number | undefined {
  const n = num(v);
  return n !== undefined && n >= 0 ? n : undefined;
}

/** Like {@link num} but only values > 0. */
export function positive(v: unknown): number | undefined {
  const n = num(v);
  return n !== undefined && n > 0 ? n : undefined;
}

/** A `num/den` (or `num:den`) fraction with both parts > 0, as its parts; `0/0`, `N/A` → undefined. */
export function fraction(v: unknown): { num: number; den: number } | undefined {
  const s = str(v);
  const m = s === undefined ? null : /^(\d+(?:\.\d+)?)\s*[/:]\s*(\d+(?:\.\d+)?)$/.exec(s);
  if (!m) return undefined;
  const n = Number(m[1]);
  const d = Number(m[2]);
  return n > 0 && d > 0 ? { num: n, den: d } : undefined;
}

/** A rate such as `30000/1001` as a number (29.97…); a plain number is accepted too. */
export function rate(v: unknown): number | undefined {
  const f = fraction(v);
  if (f) return f.num / f.den;
  return positive(v);
}

/** A valid `num/den` fraction string, kept as printed; `0/0` or `N/A` → undefined. */
export function fractionString(v: unknown): string | undefined {
  return fraction(v) ? str(v) : undefined;
}

/** Matroska's `HH:MM:SS.nnnnnnnnn` duration tags, in seconds. */
export function clockDuration(v: unknown): number | undefined {
  const s = str(v);
  const m = s === undefined ? null : /^(\d+):(\d{1,2}):(\d{1,2}(?:\.\d+)?)$/.exec(s);
  if (!m) return undefined;
  return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
}

/** The first tag whose key matches `key` case-insensitively, or `key-<lang>` (Matroska's `DURATION-eng`). */
export function tag(tags: RawObject | undefined, key: string): unknown {
  if (!tags) return undefined;
  const wanted = key.toLowerCase();
  for (const [k, v] of Object.entries(tags)) {
    const lower = k.toLowerCase();
    if (lower === wanted || lower.startsWith(`${wanted}-`)) return v;
  }
  return undefined;
}
