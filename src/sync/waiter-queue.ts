/**
 * A first-in first-out line of pending promises, each optionally cancelled by an AbortSignal.
 * The primitives use it so that whoever waited first is served first (fairness), and so that
 * an aborted waiter leaves the line without being served.
 */
import { WaitAbortedError } from './errors.js';

export interface Waiter<P, R> {
  /** What the waiter brings (e.g. the item a blocked put() wants to add). */
  readonly payload: P;
  resolve(value: R): void;
  reject(error: unknown): void;
}

interface Entry<P, R> extends Waiter<P, R> {
  live: boolean;
  detach?: () => void;
}

export class WaiterQueue<P, R> {
  #entries: (Entry<P, R> | undefined)[] = [];
  #head = 0;
  #live = 0;

  /** Waiters still in line. */
  get size(): number {
    return this.#live;
  }

  /** Joins the line; `what` names the wait in the abort error (e.g. "queue.get()"). */
  wait(payload: P, signal: AbortSignal | undefined, what: string): Promise<R> {
    if (signal?.aborted) return Promise.reject(new WaitAbortedError(what, signal.reason));
    return new Promise<R>((resolve, reject) => {
      const entry: Entry<P, R> = { payload, resolve, reject, live: true };
      if (signal !== undefined) {
        const onAbort = (): void => {
          if (!entry.live) return;
          entry.live = false;
          this.#live--;
          reject(new WaitAbortedError(what, signal.reason));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        entry.detach = () => signal.removeEventListener('abort', onAbort);
      }
      this.#entries.push(entry);
      this.#live++;
    });
  }

  /** Takes the oldest live waiter out of the line (the caller settles it), or undefined. */
  shift(): Waiter<P, R> | undefined {
    while (this.#head < this.#entries.length) {
      const entry = this.#entries[this.#head];
      this.#entries[this.#head++] = undefined;
      if (entry?.live) {
        entry.live = false;
        this.#live--;
        entry.detach?.();
        this.#compact();
        return entry;
      }
    }
    this.#compact();
    return undefined;
  }

  /** Rejects every waiter with `error` and empties the line. */
  rejectAll(error: unknown): void {
    for (let waiter = this.shift(); waiter !== undefined; waiter = this.shift()) waiter.reject(error);
  }

  #compact(): void {
    if (this.#head === this.#entries.length) {
      this.#entries = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
  }
}
