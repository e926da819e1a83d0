/**
 * A rate over a sliding window: samples of a growing count (bytes, files) and the times they
 * were taken; the rate is the growth across the last `windowMs`. Unlike a whole-run average it
 * follows a run that speeds up or stalls, and it is not skewed by a slow start (the time before
 * the count first grows is left out).
 */
export class RateWindow {
  readonly #windowMs: number;
  readonly #times: number[] = [];
  readonly #values: number[] = [];

  constructor(windowMs = 5000) {
    this.#windowMs = windowMs;
  }

  /** Records that the count was `value` at `now` (ms, monotonic). */
  sample(now: number, value: number): void {
    this.#times.push(now);
    this.#values.push(value);
    // Keep one sample older than the window, so the window is always fully covered; and none of
    // the time before anything arrived (connecting, latency), which would drag the rate down.
    while (
      this.#times.length > 2 &&
      ((this.#times[1] as number) <= now - this.#windowMs || (this.#values[0] === 0 && this.#values[1] === 0))
    ) {
      this.#times.shift();
      this.#values.shift();
    }
  }

  /** Milliseconds the samples cover. */
  spanMs(): number {
    const n = this.#times.length;
    return n < 2 ? 0 : (this.#times[n - 1] as number) - (this.#times[0] as number);
  }

  /** Growth per second over the window; 0 until two samples. */
  perSecond(): number {
    const n = this.#times.length;
    const span = this.spanMs();
    if (n < 2 || span <= 0) return 0;
    return (((this.#values[n - 1] as number) - (this.#values[0] as number)) * 1000) / span;
  }
}
