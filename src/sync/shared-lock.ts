/**
 * A mutex over shared memory, held by at most one thread at a time across the main thread and
 * any number of worker threads (the seeds' `threading.Lock`, for real parallel threads).
 *
 * A class instance cannot travel to a worker, so a SharedLock is passed by handle:
 * ```ts
 * const lock = new SharedLock();
 * await pool.apply(t.deposit, lock.handle, …);      // caller
 * const lock = SharedLock.from(handle);            // inside the task
 * lock.withLockSync(() => { … });                  // or: using release = lock.acquireSync();
 * ```
 * `acquireSync()` blocks the thread (Atomics.wait) and is meant for worker threads; on the
 * main thread it would freeze the event loop, so use `await acquire()` there (Atomics.waitAsync).
 *
 * Shared memory exists only between threads of one process: use it with the `threads` backend
 * (and the main thread), not with `processes` or `redis`, whose workers get a copy.
 *
 * State of the Int32 slot: 0 free, 1 held, 2 held and someone may be sleeping on it (the
 * classic futex mutex: the releaser wakes a sleeper only when there may be one).
 */

import { LockNotHeldError, WaitAbortedError } from './errors.js';
import type { Release } from './semaphore.js';
import { newSlot, openSlot, type SharedSlotHandle } from './shared-memory.js';

export type SharedLockHandle = SharedSlotHandle<'taskmill.shared-lock'>;

const FREE = 0;
const HELD = 1;
const CONTENDED = 2;
/** Longest single asynchronous sleep when the wait can be aborted, so an abandoned sleeper expires. */
const ABORTABLE_SLICE_MS = 1000;

type WaitAsyncResult =
  | { async: false; value: 'not-equal' | 'timed-out' }
  | { async: true; value: Promise<'ok' | 'timed-out'> };
const waitAsync = (
  Atomics as unknown as {
    waitAsync: (array: Int32Array, index: number, value: number, timeout?: number) => WaitAsyncResult;
  }
).waitAsync;

export class SharedLock {
  /** The cloneable part: pass it to a task and rebuild the lock there with SharedLock.from(). */
  readonly handle: SharedLockHandle;
  readonly #state: Int32Array;
  readonly #i: number;

  constructor(handle?: SharedLockHandle) {
    this.handle = handle ?? newSlot('taskmill.shared-lock');
    this.#state = openSlot(this.handle, 'taskmill.shared-lock', 'SharedLock');
    this.#i = this.handle.index;
  }

  /** The same lock, from a handle received as a task argument. */
  static from(handle: SharedLockHandle): SharedLock {
    return new SharedLock(handle);
  }

  /** Whether some thread holds the lock now (a snapshot; it may change at once). */
  get locked(): boolean {
    return Atomics.load(this.#state, this.#i) !== FREE;
  }

  /** The lock if it is free now; otherwise undefined. Never waits. */
  tryAcquire(): Release | undefined {
    if (Atomics.compareExchange(this.#state, this.#i, FREE, HELD) !== FREE) return undefined;
    return this.#makeRelease();
  }

  /** Waits for the lock, blocking this thread. For worker threads; on the main thread prefer `acquire()`. */
  acquireSync(): Release {
    const s = this.#state;
    const i = this.#i;
    let seen = Atomics.compareExchange(s, i, FREE, HELD);
    if (seen !== FREE) {
      if (seen !== CONTENDED) seen = Atomics.exchange(s, i, CONTENDED);
      while (seen !== FREE) {
        Atomics.wait(s, i, CONTENDED);
        seen = Atomics.exchange(s, i, CONTENDED);
      }
    }
    return this.#makeRelease();
  }

  /** Waits for the lock without blocking the thread (Atomics.waitAsync); usable on the main thread. */
  async acquire(options: { signal?: AbortSignal } = {}): Promise<Release> {
    const { signal } = options;
    const s = this.#state;
    const i = this.#i;
    if (signal?.aborted) throw new WaitAbortedError('sharedLock.acquire()', signal.reason);
    let seen = Atomics.compareExchange(s, i, FREE, HELD);
    if (seen !== FREE) {
      if (seen !== CONTENDED) seen = Atomics.exchange(s, i, CONTENDED);
      while (seen !== FREE) {
        const result = waitAsync(s, i, CONTENDED, signal === undefined ? undefined : ABORTABLE_SLICE_MS);
        if (result.async) {
          if (signal === undefined) await result.value;
          else await this.#sleepUnlessAborted(result.value, signal);
        }
        seen = Atomics.exchange(s, i, CONTENDED);
      }
    }
    return this.#makeRelease();
  }

  /** Runs `fn` holding the lock (blocking to get it) and releases it afterwards, even if `fn` throws. */
  withLockSync<R>(fn: () => R): R {
    const release = this.acquireSync();
    try {
      return fn();
    } finally {
      release();
    }
  }

  /** Runs `fn` holding the lock (waiting without blocking) and releases it afterwards, even if `fn` throws. */
  async withLock<R>(fn: () => R | PromiseLike<R>, options: { signal?: AbortSignal } = {}): Promise<R> {
    const release = await this.acquire(options);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  async #sleepUnlessAborted(sleep: Promise<'ok' | 'timed-out'>, signal: AbortSignal): Promise<void> {
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<'aborted'>((resolve) => {
      onAbort = () => resolve('aborted');
      signal.addEventListener('abort', onAbort, { once: true });
    });
    const outcome = await Promise.race([sleep, aborted]);
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
    if (outcome === 'aborted') {
      // If the abandoned sleeper is woken later, it passes the wake-up on so no one misses it.
      void sleep.then((value) => {
        if (value === 'ok') Atomics.notify(this.#state, this.#i, 1);
      });
      throw new WaitAbortedError('sharedLock.acquire()', signal.reason);
    }
  }

  #makeRelease(): Release {
    let held = true;
    const release = (): void => {
      if (!held) return;
      held = false;
      this.#unlock();
    };
    return Object.assign(release, { [Symbol.dispose]: release }) as Release;
  }

  #unlock(): void {
    const s = this.#state;
    const i = this.#i;
    for (;;) {
      const seen = Atomics.load(s, i);
      if (seen === FREE) throw new LockNotHeldError();
      if (Atomics.compareExchange(s, i, seen, FREE) === seen) {
        if (seen === CONTENDED) Atomics.notify(s, i, 1);
        return;
      }
    }
  }
}
