/** A token bucket: at most `rate` requests per second on average, bursts up to `burst`. */
import { abortableSleep } from './abortable-sleep.js';

export class TokenBucket {
  readonly #rate: number;
  readonly #burst: number;
  readonly #now: () => number;
  #tokens: number;
  #last: number;

  constructor(
    rate: number,
    burst = Math.max(1, Math.ceil(rate / 10)),
    now: () => number = () => performance.now(),
  ) {
    this.#rate = rate;
    this.#burst = burst;
    this.#now = now;
    this.#tokens = burst;
    this.#last = now();
  }

  /** Takes a token and returns how many ms to wait before using it (0: now). Reservations queue in call order. */
  reserve(): number {
    if (this.#rate <= 0) return 0;
    const now = this.#now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) * this.#rate) / 1000);
    this.#last = now;
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : (-this.#tokens * 1000) / this.#rate;
  }

  /** Resolves when a request may start. */
  async take(signal?: AbortSignal): Promise<void> {
    const wait = this.reserve();
    if (wait > 0) await abortableSleep(wait, signal);
  }
}
