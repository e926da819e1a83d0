/**
 * A counting semaphore for async code (the seeds' `asyncio.Semaphore`): at most `permits`
 * holders at once. Waiters are served first come, first served, and a newcomer never jumps
 * the line. `acquire()` gives back a Release: call it, or let `using` call it, to give the
 * permit back; `withPermit(fn)` holds a permit exactly while `fn` runs, even when it throws.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { assertKnownKeys } from '../core/option-keys.js';
import { WaitAbortedError } from './errors.js';
import { WaiterQueue } from './waiter-queue.js';

/** Gives a permit (or a lock) back. Safe to call more than once; disposable with `using`. */
export interface Release extends Disposable {
  (): void;
}

export interface AcquireOptions {
  /** Gives up waiting: the promise rejects with WaitAbortedError and nothing is held. */
  readonly signal?: AbortSignal;
}

export class Semaphore {
  #available: number;
  readonly #waiters = new WaiterQueue<undefined, Release>();
  readonly #what: string;

  constructor(permits: number, what = 'semaphore.acquire()') {
    if (!(Number.isInteger(permits) && permits > 0)) {
      throw new InvalidArgumentError(`a semaphore needs a positive whole number of permits, got ${permits}`);
    }
    this.#available = permits;
    this.#what = what;
  }

  /** Permits free right now. */
  get available(): number {
    return this.#available;
  }

  /** Callers waiting for a permit. */
  get waiting(): number {
    return this.#waiters.size;
  }

  /** Waits for a permit (in arrival order) and returns its Release. */
  acquire(options: AcquireOptions = {}): Promise<Release> {
    assertWaitOptions(options, this.#what);
    if (options.signal?.aborted)
      return Promise.reject(new WaitAbortedError(this.#what, options.signal.reason));
    const release = this.tryAcquire();
    if (release !== undefined) return Promise.resolve(release);
    return this.#waiters.wait(undefined, options.signal, this.#what);
  }

  /** A permit if one is free and nobody is waiting; otherwise undefined. */
  tryAcquire(): Release | undefined {
    if (this.#available === 0 || this.#waiters.size > 0) return undefined;
    this.#available--;
    return this.#makeRelease();
  }

  /** Runs `fn` holding a permit and gives it back afterwards, whether `fn` returns or throws. */
  async withPermit<R>(fn: () => R | PromiseLike<R>, options: AcquireOptions = {}): Promise<R> {
    const release = await this.acquire(options);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  #makeRelease(): Release {
    let held = true;
    const release = (): void => {
      if (!held) return;
      held = false;
      // Hand the permit straight to the longest waiter, so nobody can barge in between.
      const next = this.#waiters.shift();
      if (next !== undefined) next.resolve(this.#makeRelease());
      else this.#available++;
    };
    return Object.assign(release, { [Symbol.dispose]: release }) as Release;
  }
}

/** Refuses a wait's options that are not an object, or that have a key other than `signal`. */
export function assertWaitOptions(options: unknown, what: string): void {
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError(`${what} options must be an object, e.g. { signal }`);
  }
  assertKnownKeys(options, ['signal'], `${what} options`);
}
