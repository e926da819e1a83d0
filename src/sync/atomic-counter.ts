/**
 * An integer shared by threads, changed only by atomic operations: no update is ever lost,
 * with or without a lock. Pass `counter.handle` to a task and rebuild it with
 * `AtomicCounter.from(handle)` there. Values are 32-bit signed integers and wrap on overflow,
 * as Atomics do.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { newSlot, openSlot, type SharedSlotHandle } from './shared-memory.js';

export type AtomicCounterHandle = SharedSlotHandle<'taskmill.atomic-counter'>;

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

function checkInt32(value: number, what: string): number {
  if (!(Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX)) {
    throw new InvalidArgumentError(
      `${what} must be a 32-bit integer (${INT32_MIN}..${INT32_MAX}), got ${value}`,
    );
  }
  return value;
}

export class AtomicCounter {
  readonly handle: AtomicCounterHandle;
  readonly #cells: Int32Array;
  readonly #i: number;

  /** A new counter starting at `initial`, or (with a handle) an existing one. */
  constructor(initial: number | AtomicCounterHandle = 0) {
    if (typeof initial === 'number') {
      this.handle = newSlot('taskmill.atomic-counter');
      this.#cells = openSlot(this.handle, 'taskmill.atomic-counter', 'AtomicCounter');
      this.#i = 0;
      Atomics.store(this.#cells, 0, checkInt32(initial, 'the initial value'));
    } else {
      this.#cells = openSlot(initial, 'taskmill.atomic-counter', 'AtomicCounter');
      this.handle = initial;
      this.#i = initial.index;
    }
  }

  /** The same counter, from a handle received as a task argument. */
  static from(handle: AtomicCounterHandle): AtomicCounter {
    return new AtomicCounter(handle);
  }

  get(): number {
    return Atomics.load(this.#cells, this.#i);
  }

  set(value: number): void {
    Atomics.store(this.#cells, this.#i, checkInt32(value, 'the value'));
  }

  /** Adds `n` and returns the new value. */
  add(n = 1): number {
    return (Atomics.add(this.#cells, this.#i, checkInt32(n, 'the amount')) + n) | 0;
  }

  /** Subtracts `n` and returns the new value. */
  sub(n = 1): number {
    return (Atomics.sub(this.#cells, this.#i, checkInt32(n, 'the amount')) - n) | 0;
  }

  /**
   * Sets the value to `replacement` if it is `expected`; returns the value it found
   * (equal to `expected` exactly when the exchange happened).
   */
  compareExchange(expected: number, replacement: number): number {
    return Atomics.compareExchange(
      this.#cells,
      this.#i,
      checkInt32(expected, 'expected'),
      checkInt32(replacement, 'the replacement'),
    );
  }
}
