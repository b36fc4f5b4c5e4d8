// Access keys cached briefly per process, so that a signed request does not read the key table.
// The bound: a change made elsewhere (`openvod keys disable`, another process) is seen within
// `ttlMs` — the entry is dropped once it is that old and the next request reads the store again.
// Absent keys are cached too (a key created meanwhile works within the same bound).
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { type AccessKey, findAccessKey } from './access-key.repository.js';

/** The default bound on how long a disabled key keeps working on a running server. */
export const ACCESS_KEY_TTL_MS = 1000;

/** Past this many entries the cache starts over (unknown ids sent at random cannot grow it). */
const MAX_ENTRIES = 10_000;

interface Entry {
  /** Settled value, or the read in flight (shared by every request that misses meanwhile). */
  readonly key: Promise<AccessKey | undefined>;
  readonly untilMs: number;
  /** The value once the read has settled (for `peek`). */
  settled: { readonly key: AccessKey | undefined } | undefined;
}

export class AccessKeyCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly ttlMs: number = ACCESS_KEY_TTL_MS,
  ) {}

  /**
   * `get`'s answer when it is known now (a settled, fresh entry), as `{ key }`; undefined when
   * only `get` can tell (nothing cached, stale, or the read still in flight).
   */
  peek(accessKeyId: string, nowMs: number): { readonly key: AccessKey | undefined } | undefined {
    const hit = this.entries.get(accessKeyId);
    return hit !== undefined && hit.untilMs > nowMs ? hit.settled : undefined;
  }

  /** The key as stored at most `ttlMs` before `nowMs`, or undefined when there is none. */
  get(accessKeyId: string, nowMs: number): Promise<AccessKey | undefined> {
    const hit = this.entries.get(accessKeyId);
    if (hit && hit.untilMs > nowMs) return hit.key;
    // The entry's age counts from the read's start: the value can be no older than that.
    const key = findAccessKey(this.db, accessKeyId);
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    const entry: Entry = { key, untilMs: nowMs + this.ttlMs, settled: undefined };
    this.entries.set(accessKeyId, entry);
    // A failed read is not cached: the next request tries again.
    key.then(
      (value) => void (entry.settled = { key: value }),
      () => {
        if (this.entries.get(accessKeyId) === entry) this.entries.delete(accessKeyId);
      },
    );
    return key;
  }
}
