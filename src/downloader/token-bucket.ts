/** A token bucket: at most `rate` requests per second on average, bursts up to `burst`. */
import { setTimeout as sleep } from 'node:timers/promises';

export class TokenBucket {
  readonly #rate: number;
  readonly #burst: number;
  #tokens: number;
  #last: number;
  /** Time (ms, performance.now) at which the last reserved token becomes available. */
  constructor(rate: number, burst = Math.max(1, Math.ceil(rate / 10))) {
    this.#rate = rate;
    this.#burst = burst;
    this.#tokens = burst;
    this.#last = performance.now();
  }

  /** Resolves when a request may start. Reservations are taken in call order. */
  async take(signal?: AbortSignal): Promise<void> {
    if (this.#rate <= 0) return;
    const now = performance.now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) * this.#rate) / 1000);
    this.#last = now;
    this.#tokens -= 1;
    if (this.#tokens >= 0) return;
    const wait = (-this.#tokens * 1000) / this.#rate;
    await sleep(wait, undefined, signal ? { signal } : undefined);
  }
}
