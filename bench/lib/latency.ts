// Latency samples kept in bounded memory: every sample until `capacity`, then a uniform
// reservoir (Vitter's algorithm R), so percentiles stay unbiased however long a run is.

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export class LatencyReservoir {
  private readonly samples: Float64Array;
  private seen = 0;
  private max = 0;

  constructor(capacity = 1_000_000) {
    this.samples = new Float64Array(capacity);
  }

  record(ms: number): void {
    if (ms > this.max) this.max = ms;
    const slot = this.seen < this.samples.length ? this.seen : Math.floor(Math.random() * (this.seen + 1));
    if (slot < this.samples.length) this.samples[slot] = ms;
    this.seen++;
  }

  /** Folds another reservoir's samples in (used to summarise several rounds together). */
  merge(other: LatencyReservoir): void {
    for (const ms of other.kept()) this.record(ms);
    if (other.max > this.max) this.max = other.max;
  }

  summary(): LatencySummary {
    const sorted = this.kept().slice().sort();
    return { count: this.seen, p50Ms: quantile(sorted, 0.5), p99Ms: quantile(sorted, 0.99), maxMs: this.max };
  }

  private kept(): Float64Array {
    return this.samples.subarray(0, Math.min(this.seen, this.samples.length));
  }
}

/** Nearest-rank quantile of ascending `sorted`; NaN when empty. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}
