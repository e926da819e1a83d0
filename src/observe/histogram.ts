/**
 * A fixed-bucket histogram in seconds (Prometheus' cumulative `le` buckets are derived when it
 * is written out), and a small ring of recent values for percentiles.
 */

/** Upper bounds in seconds, from half a millisecond to five minutes. */
export const SECONDS_BUCKETS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300,
];

export interface HistogramSnapshot {
  /** Upper bounds (seconds); the last, implicit bucket is +Inf. */
  readonly bounds: readonly number[];
  /** Observations per bucket, not cumulative; one more entry than `bounds` (+Inf). */
  readonly counts: readonly number[];
  readonly sum: number;
  readonly count: number;
}

export class Histogram {
  readonly #counts = new Float64Array(SECONDS_BUCKETS.length + 1);
  #sum = 0;
  #count = 0;

  /** Records `weight` observations of `seconds` each. */
  observe(seconds: number, weight = 1): void {
    let i = 0;
    while (i < SECONDS_BUCKETS.length && seconds > (SECONDS_BUCKETS[i] as number)) i++;
    this.#counts[i] = (this.#counts[i] as number) + weight;
    this.#sum += seconds * weight;
    this.#count += weight;
  }

  snapshot(): HistogramSnapshot {
    return { bounds: SECONDS_BUCKETS, counts: Array.from(this.#counts), sum: this.#sum, count: this.#count };
  }
}

/** The last `size` values, for percentiles of recent latency. */
export class RecentValues {
  readonly #values: Float64Array;
  #next = 0;
  #filled = 0;

  constructor(size = 512) {
    this.#values = new Float64Array(size);
  }

  push(value: number): void {
    this.#values[this.#next] = value;
    this.#next = (this.#next + 1) % this.#values.length;
    if (this.#filled < this.#values.length) this.#filled++;
  }

  /** p50, p90, p99 and max of what is held (undefined when nothing is). */
  percentiles(): { p50: number; p90: number; p99: number; max: number } | undefined {
    if (this.#filled === 0) return undefined;
    const sorted = this.#values.slice(0, this.#filled).sort();
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
    return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted[sorted.length - 1] as number };
  }
}
