/**
 * A producer/consumer queue for async code, after Python's `multiprocessing.JoinableQueue`:
 * bounded (`put` waits while it is full, so a fast producer cannot exhaust memory), `get`
 * waits while it is empty, every item taken is acknowledged with `taskDone()`, and `join()`
 * resolves once every item put has been acknowledged.
 *
 * Unlike the seeds' daemon consumers that loop forever and are killed mid-item, consumers
 * end cleanly: `close()` stops new puts, lets consumers drain what is left, then ends their
 * `for await (const item of queue)` loops.
 *
 * ```ts
 * const queue = new JoinableQueue<string>({ maxSize: 10 });
 * const consumer = (async () => {
 *   for await (const item of queue) {
 *     try { await handle(item); } finally { queue.taskDone(); }
 *   }
 * })();
 * for (const item of items) await queue.put(item);
 * await queue.join();   // every item handled
 * queue.close();        // consumers' loops end
 * await consumer;
 * ```
 */
import { InvalidArgumentError } from '../core/errors.js';
import { assertKnownKeys } from '../core/option-keys.js';
import { QueueClosedError, TaskDoneTooManyError, WaitAbortedError } from './errors.js';
import { assertWaitOptions } from './semaphore.js';
import { WaiterQueue } from './waiter-queue.js';

export interface JoinableQueueOptions {
  /** Most items held at once; `put` waits for room beyond it. Default: unbounded. */
  readonly maxSize?: number;
}

export interface WaitOptions {
  /** Cancels the wait; the promise rejects with WaitAbortedError and the queue is unchanged. */
  readonly signal?: AbortSignal;
}

const NOTHING = Symbol('nothing');

export class JoinableQueue<T> implements AsyncIterable<T> {
  readonly maxSize: number;
  #items: T[] = [];
  #head = 0;
  #unfinished = 0;
  #closed = false;
  readonly #getters = new WaiterQueue<undefined, T>();
  readonly #putters = new WaiterQueue<T, void>();
  #joiners: (() => void)[] = [];

  constructor(options: JoinableQueueOptions = {}) {
    if (options === null || typeof options !== 'object') {
      throw new InvalidArgumentError('JoinableQueue options must be an object, e.g. { maxSize: 100 }');
    }
    assertKnownKeys(options, ['maxSize'], 'JoinableQueue options');
    const maxSize = options.maxSize ?? Number.POSITIVE_INFINITY;
    if (!(maxSize === Number.POSITIVE_INFINITY || (Number.isInteger(maxSize) && maxSize > 0))) {
      throw new InvalidArgumentError(
        `maxSize must be a positive integer (or omitted for an unbounded queue), got ${String(maxSize)}`,
      );
    }
    this.maxSize = maxSize;
  }

  /** Items waiting to be taken. */
  get size(): number {
    return this.#items.length - this.#head;
  }

  /** Items put but not yet acknowledged with taskDone(). */
  get unfinished(): number {
    return this.#unfinished;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Adds an item, waiting while the queue is full. Rejects with QueueClosedError after close(). */
  put(item: T, options: WaitOptions = {}): Promise<void> {
    assertWaitOptions(options, 'queue.put()');
    if (options.signal?.aborted)
      return Promise.reject(new WaitAbortedError('queue.put()', options.signal.reason));
    if (this.#closed) return Promise.reject(new QueueClosedError('put'));
    if (this.#putters.size === 0 && this.size < this.maxSize) {
      this.#accept(item);
      return Promise.resolve();
    }
    return this.#putters.wait(item, options.signal, 'queue.put()');
  }

  /** Adds an item if there is room now; returns whether it was added. */
  tryPut(item: T): boolean {
    if (this.#closed) throw new QueueClosedError('put');
    if (this.#putters.size > 0 || this.size >= this.maxSize) return false;
    this.#accept(item);
    return true;
  }

  /** Takes the oldest item, waiting while the queue is empty. Rejects with QueueClosedError once closed and drained. */
  get(options: WaitOptions = {}): Promise<T> {
    assertWaitOptions(options, 'queue.get()');
    if (options.signal?.aborted)
      return Promise.reject(new WaitAbortedError('queue.get()', options.signal.reason));
    const item = this.#take();
    if (item !== NOTHING) return Promise.resolve(item);
    if (this.#closed) return Promise.reject(new QueueClosedError('get'));
    return this.#getters.wait(undefined, options.signal, 'queue.get()');
  }

  /** Acknowledges one item taken with get() (or iteration) as fully handled. */
  taskDone(): void {
    if (this.#unfinished === 0) throw new TaskDoneTooManyError();
    this.#unfinished--;
    if (this.#unfinished === 0) {
      const joiners = this.#joiners;
      this.#joiners = [];
      for (const resolve of joiners) resolve();
    }
  }

  /** Resolves when every item put so far has been acknowledged with taskDone(). */
  join(options: WaitOptions = {}): Promise<void> {
    assertWaitOptions(options, 'queue.join()');
    if (this.#unfinished === 0) return Promise.resolve();
    const signal = options.signal;
    return new Promise<void>((resolve, reject) => {
      if (signal === undefined) {
        this.#joiners.push(resolve);
        return;
      }
      const onAbort = (): void => {
        this.#joiners = this.#joiners.filter((fn) => fn !== done);
        reject(new WaitAbortedError('queue.join()', signal.reason));
      };
      const done = (): void => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.#joiners.push(done);
    });
  }

  /**
   * Accepts no more items: puts (including those waiting for room) reject with QueueClosedError,
   * items already in the queue can still be taken, and once it is empty, waiting gets reject
   * and iteration ends.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#putters.rejectAll(new QueueClosedError('put'));
    if (this.size === 0) this.#getters.rejectAll(new QueueClosedError('get'));
  }

  /** Takes items until the queue is closed and drained. Call taskDone() for each item. */
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      const item = this.#take();
      if (item !== NOTHING) {
        yield item;
        continue;
      }
      if (this.#closed) return;
      try {
        yield await this.#getters.wait(undefined, undefined, 'queue iteration');
      } catch (error) {
        if (error instanceof QueueClosedError) return;
        throw error;
      }
    }
  }

  #accept(item: T): void {
    this.#unfinished++;
    const getter = this.#getters.shift();
    if (getter !== undefined) getter.resolve(item);
    else this.#items.push(item);
  }

  #take(): T | typeof NOTHING {
    if (this.#head === this.#items.length) return NOTHING;
    const item = this.#items[this.#head] as T;
    this.#items[this.#head++] = undefined as T;
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    // Room appeared: admit the oldest waiting put.
    const putter = this.#putters.shift();
    if (putter !== undefined) {
      this.#accept(putter.payload);
      putter.resolve();
    }
    if (this.#closed && this.size === 0) this.#getters.rejectAll(new QueueClosedError('get'));
    return item;
  }
}
