// The live signature nonces of a SQLite data dir, held in memory by each process as a set of
// 64-bit keys (sqlite-nonce-file.ts keeps the shared, append-only record they come from).
//
// Two generations of open-addressing tables: new keys go into `current`; once the oldest key in
// it has expired, it becomes `previous` and a fresh table, sized for as many keys, takes its
// place; `previous` is dropped whole once its last key has expired. So nothing is deleted key by
// key, and memory follows the rate: two tables each at most half full, 16 bytes a slot — 32 to
// 64 bytes for each key held, and a key is held for one to two of its lifetimes.
//
// Keys are SHA-256 prefixes (nonceKey), so their low bits index a table as they are.

const MIN_SLOTS = 1024;

class Table {
  /** Key halves at 2i (high) and 2i + 1 (low). */
  readonly keys: Int32Array;
  /** Expiry of slot i in ms; 0 marks an empty slot. */
  readonly expiry: Float64Array;
  readonly mask: number;
  count = 0;
  minExpiry = Number.POSITIVE_INFINITY;
  maxExpiry = 0;

  constructor(slots: number) {
    this.keys = new Int32Array(slots * 2);
    this.expiry = new Float64Array(slots);
    this.mask = slots - 1;
  }

  get slots(): number {
    return this.mask + 1;
  }

  /** The key's expiry, or -Infinity when the table does not hold it. */
  expiryOf(hi: number, lo: number): number {
    for (let i = lo & this.mask; ; i = (i + 1) & this.mask) {
      const e = this.expiry[i] as number;
      if (e === 0) return Number.NEGATIVE_INFINITY;
      if (this.keys[2 * i] === hi && this.keys[2 * i + 1] === lo) return e;
    }
  }

  /** Adds the key, or moves its expiry later. The caller keeps the table at most half full. */
  put(hi: number, lo: number, expiresAtMs: number): void {
    for (let i = lo & this.mask; ; i = (i + 1) & this.mask) {
      const e = this.expiry[i] as number;
      if (e === 0) {
        this.keys[2 * i] = hi;
        this.keys[2 * i + 1] = lo;
        this.expiry[i] = expiresAtMs;
        this.count++;
        break;
      }
      if (this.keys[2 * i] === hi && this.keys[2 * i + 1] === lo) {
        if (expiresAtMs > e) this.expiry[i] = expiresAtMs;
        break;
      }
    }
    if (expiresAtMs < this.minExpiry) this.minExpiry = expiresAtMs;
    if (expiresAtMs > this.maxExpiry) this.maxExpiry = expiresAtMs;
  }

  /** A table twice this size (or as small as `keepAfterMs` allows) with the keys live after `keepAfterMs`. */
  rebuilt(keepAfterMs: number): Table {
    let live = 0;
    for (let i = 0; i < this.slots; i++) if ((this.expiry[i] as number) >= keepAfterMs) live++;
    const next = new Table(slotsFor(live + 1));
    for (let i = 0; i < this.slots; i++) {
      const e = this.expiry[i] as number;
      if (e >= keepAfterMs) next.put(this.keys[2 * i] as number, this.keys[2 * i + 1] as number, e);
    }
    return next;
  }
}

/** Slots for `keys` keys at most half full: a power of two. */
function slotsFor(keys: number): number {
  let slots = MIN_SLOTS;
  while (slots < keys * 2) slots *= 2;
  return slots;
}

/** Keys are 64-bit, passed as their two signed 32-bit halves (`hi`, `lo`). */
export class NonceIndex {
  #current = new Table(MIN_SLOTS);
  #previous: Table | undefined;

  /** True when the key is held with an expiry at or after `nowMs`. */
  has(hi: number, lo: number, nowMs: number): boolean {
    if (this.#current.expiryOf(hi, lo) >= nowMs) return true;
    return this.#previous !== undefined && this.#previous.expiryOf(hi, lo) >= nowMs;
  }

  /** Holds the key until `expiresAtMs` (or later, if it is held longer already). */
  add(hi: number, lo: number, expiresAtMs: number, nowMs: number): void {
    this.#turn(nowMs);
    let table = this.#current;
    if ((table.count + 1) * 2 > table.slots) this.#current = table = table.rebuilt(nowMs);
    table.put(hi, lo, Math.max(expiresAtMs, 1)); // 0 marks an empty slot
  }

  /** Keys held, live or not yet dropped (for tests and logs). */
  get size(): number {
    return this.#current.count + (this.#previous?.count ?? 0);
  }

  /** Drops a wholly expired `previous`; starts a new generation once `current` holds an expired key. */
  #turn(nowMs: number): void {
    if (this.#previous !== undefined && this.#previous.maxExpiry < nowMs) this.#previous = undefined;
    if (this.#previous === undefined && this.#current.minExpiry < nowMs) {
      this.#previous = this.#current;
      this.#current = new Table(slotsFor(this.#previous.count));
    }
  }
}
