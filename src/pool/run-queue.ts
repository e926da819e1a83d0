/**
 * The queue between the pool's calls and its backend: entries wait here in order and start as
 * the backend has slots. It counts what is queued and running, wakes callers waiting for room
 * under `maxQueue`, and takes entries back (cancellation) whether they wait or run.
 */
import type { Backend, ExecResult } from '../core/backend.js';
import { TaskAbortedError } from '../core/errors.js';
import { Fifo } from '../core/fifo.js';
import type { PoolObserver } from '../observe/observer.js';
import type { Entry } from './dispatch.js';

export class RunQueue {
  readonly #maxQueue: number;
  readonly #onIdle: () => void;
  readonly #queue = new Fifo<Entry>();
  #impl: Backend | undefined;
  #running = 0;
  #roomWaiters: (() => void)[] = [];
  /** Set by terminate(): entries enqueued later fail at once with it. */
  #terminated: Error | undefined;
  /** Metrics and tracing (src/observe/): told as entries are queued, start and settle; usually none. */
  observer: PoolObserver | undefined;

  constructor(maxQueue: number, onIdle: () => void) {
    this.#maxQueue = maxQueue;
    this.#onIdle = onIdle;
  }

  get queued(): number {
    return this.#queue.size;
  }

  get running(): number {
    return this.#running;
  }

  get hasRoom(): boolean {
    return this.#queue.size < this.#maxQueue;
  }

  /** The backend has loaded: what waited for it starts. */
  attach(impl: Backend): void {
    this.#impl = impl;
    this.#pump();
  }

  enqueue(entry: Entry): void {
    if (this.#terminated !== undefined) {
      entry.state = 2;
      entry.fail(new TaskAbortedError(entry.request.taskName, this.#terminated));
      return;
    }
    this.#queue.push(entry);
    this.observer?.submitted(entry);
    this.#pump();
  }

  /** Resolves when fewer than `maxQueue` entries wait (at once after terminate()). */
  whenRoom(): Promise<void> {
    if (this.hasRoom || this.#terminated !== undefined) return Promise.resolve();
    return new Promise((resolve) => this.#roomWaiters.push(resolve));
  }

  /** Takes an entry back: a queued one fails with `reason` now, a running one is cancelled in its backend. */
  withdraw(entry: Entry, reason: Error): void {
    if (entry.state === 2) return;
    if (entry.state === 0) {
      this.#queue.remove(entry);
      entry.state = 2;
      this.observer?.settled(entry, undefined, reason);
      entry.fail(reason);
      this.#notifyRoom();
      this.#checkIdle();
      return;
    }
    // Running: the backend rejects its exec promise with `reason`; #finish settles the entry.
    this.#impl?.cancel(entry.request, reason);
  }

  /** Fails every queued entry with `error` (the backend could not be loaded). */
  failQueued(error: unknown): void {
    for (const entry of this.#queue.drain()) {
      entry.state = 2;
      this.observer?.settled(entry, undefined, error);
      entry.fail(error);
    }
    this.#notifyRoom();
    this.#checkIdle();
  }

  /** From now on nothing starts: queued entries fail with TaskAbortedError(reason), later ones too. */
  terminate(reason: Error): void {
    this.#terminated = reason;
    for (const entry of this.#queue.drain()) {
      entry.state = 2;
      const error = new TaskAbortedError(entry.request.taskName, reason);
      this.observer?.settled(entry, undefined, error);
      entry.fail(error);
    }
    const waiters = this.#roomWaiters;
    this.#roomWaiters = [];
    for (const resolve of waiters) resolve();
    this.#checkIdle();
  }

  #pump(): void {
    const impl = this.#impl;
    if (impl === undefined || this.#terminated !== undefined) return;
    const slots = impl.slots;
    let dequeued = false;
    while (this.#running < slots) {
      const entry = this.#queue.shift();
      if (entry === undefined) break;
      dequeued = true;
      this.#start(impl, entry);
    }
    if (dequeued) this.#notifyRoom();
  }

  #start(impl: Backend, entry: Entry): void {
    entry.state = 1;
    this.#running++;
    entry.started?.();
    this.observer?.started(entry);
    impl.exec(entry.request).then(
      (result) => this.#finish(entry, result, undefined, true),
      (error: unknown) => this.#finish(entry, undefined, error, false),
    );
  }

  #finish(entry: Entry, result: ExecResult | undefined, error: unknown, ok: boolean): void {
    this.#running--;
    this.observer?.settled(entry, result, error);
    if (entry.state !== 2) {
      entry.state = 2;
      if (ok) entry.done(result as ExecResult);
      else if (error !== undefined && error === this.#terminated) {
        entry.fail(new TaskAbortedError(entry.request.taskName, error));
      } else entry.fail(error);
    }
    this.#pump();
    this.#checkIdle();
  }

  #notifyRoom(): void {
    if (this.#roomWaiters.length === 0) return;
    while (this.#roomWaiters.length > 0 && this.#queue.size < this.#maxQueue) this.#roomWaiters.shift()?.();
  }

  #checkIdle(): void {
    if (this.#running === 0 && this.#queue.size === 0) this.#onIdle();
  }
}
