/**
 * A mutual-exclusion lock for async code. JavaScript never interrupts a function between two
 * statements, but every `await` is a place where another async function may run: read, await,
 * write is a race (the seeds' bank balance). Hold a Lock across such a section:
 *
 * ```ts
 * await lock.withLock(async () => { const b = balance; await save(); balance = b + n; });
 * // or
 * { using release = await lock.acquire(); … }   // released when the block ends
 * ```
 * Waiters get the lock in arrival order.
 */
import { type AcquireOptions, type Release, Semaphore } from './semaphore.js';

export class Lock {
  readonly #semaphore = new Semaphore(1, 'lock.acquire()');

  /** Whether someone holds the lock now. */
  get locked(): boolean {
    return this.#semaphore.available === 0;
  }

  /** Callers waiting for the lock. */
  get waiting(): number {
    return this.#semaphore.waiting;
  }

  /** Waits for the lock and returns its Release (call it, or dispose it with `using`). */
  acquire(options: AcquireOptions = {}): Promise<Release> {
    return this.#semaphore.acquire(options);
  }

  /** The lock if it is free and nobody is waiting; otherwise undefined. */
  tryAcquire(): Release | undefined {
    return this.#semaphore.tryAcquire();
  }

  /** Runs `fn` holding the lock and releases it afterwards, whether `fn` returns or throws. */
  withLock<R>(fn: () => R | PromiseLike<R>, options: AcquireOptions = {}): Promise<R> {
    return this.#semaphore.withPermit(fn, options);
  }
}
