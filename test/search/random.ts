// A small seeded PRNG (mulberry32) so random tests are reproducible: a failure prints its seed.

export interface Random {
  readonly seed: number;
  /** [0, 1) */
  next(): number;
  /** Integer in [lo, hi] */
  int(lo: number, hi: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
}

export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    seed,
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T,
    chance: (p) => next() < p,
  };
}

/** The seed for a test run: OPENVOD_TEST_SEED when set (to replay a failure), else a fixed default. */
export const testSeed = (fallback: number): number => {
  const s = process.env.OPENVOD_TEST_SEED;
  return s !== undefined && /^\d+$/.test(s) ? Number(s) : fallback;
};
