/**
 * The Pool: one API over every execution model. It owns the queue, backpressure (`maxQueue`),
 * job handles, cancellation and the map family; the backend (sequential, async, threads,
 * processes, redis) only runs requests. See backend.ts for that contract.
 */
import { EventEmitter } from 'node:events';
import { assertCloneable } from './arguments.js';
import type {
  Backend,
  BackendName,
  EnqueueOptions,
  ExecRequest,
  ExecResult,
  LocalFunction,
  RemoteJob,
} from './backend.js';
import { createBackend, runsInProcess } from './backend-registry.js';
import { InvalidArgumentError, PoolClosedError, QueueFullError, TaskAbortedError } from './errors.js';
import { Fifo } from './fifo.js';
import { Job } from './job.js';
import { type MapInput, type MapOptions, MapRun, type MapSink } from './map-run.js';
import { type PoolOptions, type ResolvedPoolOptions, resolvePoolOptions } from './pool-options.js';
import { type AnyFunction, describeTask, isTaskRef, type Task, type TaskRef } from './task.js';
import type { ProgressUpdate } from './task-context.js';
import { isMoved, unwrapMoved } from './transfer.js';

export type { MapOptions } from './map-run.js';
export type { PoolOptions } from './pool-options.js';

/** A progress report from a running task, as the pool emits it. */
export interface ProgressEvent extends ProgressUpdate {
  readonly task: string;
  /** Index of the item within its map; 0 for a single call. */
  readonly index: number;
  /** The job's id, for calls made with submit(). */
  readonly jobId?: string;
}

export interface PoolEvents {
  progress: [event: ProgressEvent];
  /** Nothing queued and nothing running. */
  idle: [];
}

/** @internal A request on its way through the pool. */
export interface Entry {
  readonly request: ExecRequest;
  /** 0 queued, 1 running, 2 settled. */
  state: 0 | 1 | 2;
  done(result: ExecResult): void;
  fail(error: unknown): void;
  started?(): void;
}

/** @internal What the map family needs of the pool. */
export interface Dispatcher {
  readonly backendName: BackendName;
  backendInfo(): Promise<{ slots: number; parallelism: number; maxBatch: number }>;
  /** Checks a batch of argument lists (rewriting moved values) and returns the buffers to move. */
  prepareBatch(
    task: Task<never[], unknown>,
    items: unknown[][],
    firstIndex: number,
  ): ArrayBuffer[] | undefined;
  /** The same for a batch of single arguments (rewritten in place where moved). */
  prepareSingles(
    task: Task<never[], unknown>,
    args: unknown[],
    firstIndex: number,
  ): ArrayBuffer[] | undefined;
  enqueue(entry: Entry): void;
  withdraw(entry: Entry, reason: Error): void;
  emitProgress(event: ProgressEvent): void;
  readonly defaultTimeout: number | undefined;
}

type Settled<R> = PromiseSettledResult<R>;

let poolCount = 0;

export class Pool extends EventEmitter<PoolEvents> implements AsyncDisposable {
  /** The execution model this pool runs on. */
  readonly backend: BackendName;
  readonly #options: ResolvedPoolOptions;
  #impl: Backend | undefined;
  #loading: Promise<Backend> | undefined;
  readonly #queue = new Fifo<Entry>();
  #running = 0;
  #state: 'open' | 'closed' | 'terminated' = 'open';
  #jobSeq = 0;
  readonly #prefix = `p${++poolCount}-`;
  #idleWaiters: (() => void)[] = [];
  #roomWaiters: (() => void)[] = [];
  #shutdown: Promise<void> | undefined;
  #terminateReason: PoolClosedError | undefined;
  readonly #dispatcher: Dispatcher;

  constructor(options: PoolOptions = {}) {
    super();
    this.#options = resolvePoolOptions(options);
    this.backend = this.#options.backend;
    if (this.#options.initializer !== undefined)
      this.#checkRunnable(this.#options.initializer, 'initializer');
    const made = createBackend(this.backend, this.#options);
    if (made instanceof Promise) {
      this.#loading = made.then((impl) => {
        this.#impl = impl;
        this.#loading = undefined;
        this.#pump();
        return impl;
      });
      // Load errors surface on the first call (and on close), not as an unhandled rejection.
      this.#loading.catch(() => {});
    } else {
      this.#impl = made;
    }
    const signal = this.#options.signal;
    if (signal !== undefined) {
      if (signal.aborted) void this.terminate();
      else signal.addEventListener('abort', () => void this.terminate(), { once: true });
    }
    this.#dispatcher = {
      backendName: this.backend,
      defaultTimeout: this.#options.timeout,
      backendInfo: async () => {
        const impl = await this.#ready();
        return { slots: impl.slots, parallelism: impl.parallelism, maxBatch: impl.maxBatch };
      },
      prepareBatch: (task, items, firstIndex) => this.#prepareBatch(task, items, firstIndex),
      prepareSingles: (task, args, firstIndex) => this.#prepareSingles(task, args, firstIndex),
      enqueue: (entry) => this.#enqueue(entry),
      withdraw: (entry, reason) => this.#withdraw(entry, reason),
      emitProgress: (event) => this._emitProgress(event),
    };
  }

  /** Calls waiting to start. */
  get queued(): number {
    return this.#queue.size;
  }

  /** Requests running now (a request may hold a batch of map items). */
  get running(): number {
    return this.#running;
  }

  /** Runs `task(...args)` and resolves with its result. Waits for room when the queue is full. */
  apply<A extends unknown[], R>(task: Task<A, R>, ...args: A): Promise<R> {
    if (this.#queue.size >= this.#options.maxQueue) {
      return this.whenQueueHasRoom().then(() => this.apply(task, ...args));
    }
    try {
      this.#assertOpen();
      const call = this.#makeCall(task as Task<never[], unknown>, args);
      const promise = new Promise<R>((resolve, reject) => {
        call.resolve = resolve as (value: unknown) => void;
        call.reject = reject;
      });
      this.#launch(call);
      return promise;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Starts `task(...args)` and returns its Job at once (Python's apply_async).
   * Throws QueueFullError when `maxQueue` calls are already waiting.
   */
  submit<A extends unknown[], R>(task: Task<A, R>, ...args: A): Job<R> {
    this.#assertOpen();
    if (this.#queue.size >= this.#options.maxQueue) throw new QueueFullError(this.#options.maxQueue);
    const call = this.#makeCall(task as Task<never[], unknown>, args);
    const job = new Job<R>(++this.#jobSeq, call.taskName, this.#prefix);
    call.job = job as Job<unknown>;
    job._attach(call);
    this.#launch(call);
    return job;
  }

  #makeCall(task: Task<never[], unknown>, args: unknown[]): SingleCall {
    const { transfer } = this.#prepare(task, args, 'args');
    const callOptions = isTaskRef(task) ? task.options : undefined;
    const timeout = callOptions?.timeout ?? this.#options.timeout;
    return new SingleCall(
      this,
      task as TaskRef | LocalFunction,
      args,
      transfer,
      timeout,
      callOptions?.signal,
    );
  }

  #launch(call: SingleCall): void {
    const signal = call.signal;
    if (signal !== undefined) {
      if (signal.aborted) {
        call.state = 2;
        call.fail(new TaskAbortedError(call.taskName, signal.reason));
        return;
      }
      call.listen(signal);
    }
    this.#enqueue(call);
  }

  /** @internal */
  _withdraw(entry: Entry, reason: Error): void {
    this.#withdraw(entry, reason);
  }

  /** @internal */
  _emitProgress(event: ProgressEvent): void {
    if (this.listenerCount('progress') > 0) this.emit('progress', event);
  }

  /** `task(item)` for every item, results in input order. Rejects on the first failure and stops what has not started. */
  map<A, R>(
    task: Task<[A], R>,
    items: Iterable<A> | AsyncIterable<A>,
    options: MapOptions<R> = {},
  ): Promise<R[]> {
    return this.#collect(
      task as Task<never[], unknown>,
      { items: items, spread: false },
      options as MapOptions<unknown>,
      true,
    ) as Promise<R[]>;
  }

  /** `task(...args)` for every argument list (Python's starmap), results in input order. */
  starmap<A extends unknown[], R>(
    task: Task<A, R>,
    argLists: Iterable<A> | AsyncIterable<A>,
    options: MapOptions<R> = {},
  ): Promise<R[]> {
    return this.#collect(
      task as Task<never[], unknown>,
      { items: argLists, spread: true },
      options as MapOptions<unknown>,
      true,
    ) as Promise<R[]>;
  }

  /** Like map, but never rejects for a task's error: every item's outcome, in input order. */
  mapSettled<A, R>(
    task: Task<[A], R>,
    items: Iterable<A> | AsyncIterable<A>,
    options: MapOptions<R> = {},
  ): Promise<Settled<R>[]> {
    return this.#collect(
      task as Task<never[], unknown>,
      { items: items, spread: false },
      options as MapOptions<unknown>,
      false,
    ) as Promise<Settled<R>[]>;
  }

  /** Results in input order, as they become available; input is read lazily, so it may be endless. */
  imap<A, R>(
    task: Task<[A], R>,
    items: Iterable<A> | AsyncIterable<A>,
    options: MapOptions<R> = {},
  ): AsyncIterableIterator<R> {
    return this.#iterate(
      task as Task<never[], unknown>,
      { items: items, spread: false },
      options as MapOptions<unknown>,
      true,
    ) as AsyncIterableIterator<R>;
  }

  /** Results in the order they finish. */
  imapUnordered<A, R>(
    task: Task<[A], R>,
    items: Iterable<A> | AsyncIterable<A>,
    options: MapOptions<R> = {},
  ): AsyncIterableIterator<R> {
    return this.#iterate(
      task as Task<never[], unknown>,
      { items: items, spread: false },
      options as MapOptions<unknown>,
      false,
    ) as AsyncIterableIterator<R>;
  }

  /**
   * Distributed backends (redis): puts one job on the queue with its own options (attempts,
   * backoff, delay, priority, jobId) and resolves with its Job once Redis holds it. `args` is
   * the argument list; a single argument that is not an array may be passed as is.
   */
  async enqueue<A extends unknown[], R>(
    task: Task<A, R>,
    args: A | (A extends [infer Only] ? Exclude<Only, readonly unknown[]> : never),
    options: EnqueueOptions = {},
  ): Promise<Job<R>> {
    this.#assertOpen();
    const argList: unknown[] = Array.isArray(args) ? [...args] : [args];
    const taskName = describeTask(task as Task<never[], unknown>);
    this.#prepare(task as Task<never[], unknown>, argList, 'args');
    const impl = await this.#ready();
    if (impl.enqueue === undefined) throw needsRedis('enqueue', this.backend);
    let job: Job<R> | undefined;
    const timeout =
      options.timeout ?? (isTaskRef(task) ? task.options.timeout : undefined) ?? this.#options.timeout;
    const request: ExecRequest = {
      task: task as TaskRef | LocalFunction,
      taskName,
      items: [argList],
      firstIndex: 0,
      ...(timeout !== undefined ? { timeout } : {}),
      onProgress: (_index, update) => job?._progress(update),
    };
    const remote = await impl.enqueue(request, options);
    job = new Job<R>(remote.id, taskName);
    adoptRemote(job as Job<unknown>, remote);
    return job;
  }

  /** Distributed backends (redis): a handle on a job by its id, enqueued by any process. */
  job<R = unknown>(id: string): Job<R> {
    this.#assertOpen();
    if (this.backend !== 'redis') throw needsRedis('job', this.backend);
    if (typeof id !== 'string' || id === '')
      throw new InvalidArgumentError('pool.job(id) takes a job id string');
    const job = new Job<R>(id, 'remote job');
    this.#ready().then(
      (impl) => {
        if (impl.follow === undefined) throw needsRedis('job', this.backend);
        adoptRemote(
          job as Job<unknown>,
          impl.follow(id, (update) => job._progress(update)),
        );
      },
      (error: unknown) => job._reject(error),
    );
    return job;
  }

  /** Resolves when fewer than `maxQueue` calls are waiting. */
  whenQueueHasRoom(): Promise<void> {
    if (this.#queue.size < this.#options.maxQueue) return Promise.resolve();
    return new Promise((resolve) => this.#roomWaiters.push(resolve));
  }

  /** Resolves when nothing is queued or running. */
  whenIdle(): Promise<void> {
    if (this.#queue.size === 0 && this.#running === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Accepts no more calls; what is queued still runs. Then the workers are released. */
  close(): void {
    if (this.#state !== 'open') return;
    this.#state = 'closed';
    this.#shutdown = this.whenIdle().then(async () => {
      const impl = await this.#ready().catch(() => undefined);
      await impl?.close();
    });
  }

  /** Waits until every call made so far has finished; after close(), also until the workers are gone. */
  async join(): Promise<void> {
    await this.whenIdle();
    if (this.#shutdown !== undefined) await this.#shutdown;
  }

  /** Stops at once: rejects every queued and running call with TaskAbortedError and ends the workers. */
  async terminate(): Promise<void> {
    if (this.#state === 'terminated') return this.#shutdown;
    this.#state = 'terminated';
    const reason = new PoolClosedError('the pool was terminated');
    this.#terminateReason = reason;
    for (const entry of this.#queue.drain()) {
      entry.state = 2;
      entry.fail(new TaskAbortedError(entry.request.taskName, reason));
    }
    this.#notifyRoom();
    const previous = this.#shutdown;
    this.#shutdown = (async () => {
      const impl = await this.#ready().catch(() => undefined);
      await impl?.terminate(reason);
      await previous?.catch(() => {});
      this.#notifyIdle();
    })();
    return this.#shutdown;
  }

  /** `await using pool = new Pool(...)`: closes the pool and waits for what was submitted. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.join();
  }

  // ---- internals ---------------------------------------------------------------------------

  #ready(): Promise<Backend> {
    if (this.#impl !== undefined) return Promise.resolve(this.#impl);
    return this.#loading as Promise<Backend>;
  }

  #assertOpen(): void {
    if (this.#state !== 'open') {
      throw new PoolClosedError(
        this.#state === 'closed'
          ? 'the pool is closed: submit() is refused after close(); create a new Pool for more work'
          : 'the pool was terminated: create a new Pool for more work',
      );
    }
  }

  #checkRunnable(task: unknown, label: string): void {
    if (isTaskRef(task)) return;
    if (typeof task !== 'function') {
      throw new InvalidArgumentError(
        `${label} must be a task reference (from tasks(new URL('./tasks.js', import.meta.url))) or a function`,
      );
    }
    if (!runsInProcess(this.backend)) {
      const name = (task as AnyFunction).name || 'this function';
      throw new InvalidArgumentError(
        `the ${this.backend} backend cannot run a plain function (${name}): functions cannot cross to another thread or process. ` +
          `Move it into a module as an export (export function ${name === 'this function' ? 'myTask' : name}(...) {...}), ` +
          `then pass tasks<typeof import('./tasks.js')>(new URL('./tasks.js', import.meta.url)).${name === 'this function' ? 'myTask' : name}`,
      );
    }
  }

  #prepare(
    task: Task<never[], unknown>,
    args: unknown[],
    label: string,
  ): { transfer: ArrayBuffer[] | undefined } {
    this.#checkRunnable(task, 'a task');
    const transfer = unwrapMoved(args);
    if (!runsInProcess(this.backend)) assertCloneable(args, label);
    return { transfer };
  }

  #prepareBatch(
    task: Task<never[], unknown>,
    items: unknown[][],
    firstIndex: number,
  ): ArrayBuffer[] | undefined {
    this.#checkRunnable(task, 'a task');
    const check = !runsInProcess(this.backend);
    let transfer: ArrayBuffer[] | undefined;
    for (let i = 0; i < items.length; i++) {
      const args = items[i] as unknown[];
      // Primitive arguments (the common case for tiny tasks) need neither unwrapping nor checks.
      if (args.length === 1) {
        const only = args[0];
        if (
          only === null ||
          (typeof only !== 'object' && typeof only !== 'function' && typeof only !== 'symbol')
        ) {
          continue;
        }
      }
      const moved = unwrapMoved(args);
      if (moved !== undefined) {
        transfer ??= [];
        for (const buffer of moved) if (!transfer.includes(buffer)) transfer.push(buffer);
      }
      if (check) assertCloneable(args, `items[${firstIndex + i}]`);
    }
    return transfer;
  }

  #prepareSingles(
    task: Task<never[], unknown>,
    args: unknown[],
    firstIndex: number,
  ): ArrayBuffer[] | undefined {
    this.#checkRunnable(task, 'a task');
    const check = !runsInProcess(this.backend);
    let transfer: ArrayBuffer[] | undefined;
    for (let i = 0; i < args.length; i++) {
      const arg = args[i];
      if (arg === null || (typeof arg !== 'object' && typeof arg !== 'function' && typeof arg !== 'symbol'))
        continue;
      if (isMoved(arg)) {
        args[i] = arg.value;
        transfer ??= [];
        for (const buffer of arg.transferList) if (!transfer.includes(buffer)) transfer.push(buffer);
      }
      if (check) assertCloneable([args[i]], `items[${firstIndex + i}]`);
    }
    return transfer;
  }

  #enqueue(entry: Entry): void {
    if (this.#state === 'terminated') {
      entry.state = 2;
      entry.fail(
        new TaskAbortedError(entry.request.taskName, new PoolClosedError('the pool was terminated')),
      );
      return;
    }
    this.#queue.push(entry);
    if (this.#impl !== undefined) this.#pump();
    else this.#loading?.catch((error: unknown) => this.#failQueued(error));
  }

  #failQueued(error: unknown): void {
    for (const entry of this.#queue.drain()) {
      entry.state = 2;
      entry.fail(error);
    }
    this.#notifyRoom();
    this.#notifyIdle();
  }

  #pump(): void {
    const impl = this.#impl;
    if (impl === undefined) return;
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
    impl.exec(entry.request).then(
      (result) => this.#finish(entry, result, undefined, true),
      (error: unknown) => this.#finish(entry, undefined, error, false),
    );
  }

  #finish(entry: Entry, result: ExecResult | undefined, error: unknown, ok: boolean): void {
    this.#running--;
    if (entry.state !== 2) {
      entry.state = 2;
      if (ok) entry.done(result as ExecResult);
      else if (error !== undefined && error === this.#terminateReason) {
        entry.fail(new TaskAbortedError(entry.request.taskName, error));
      } else entry.fail(error);
    }
    this.#pump();
    if (this.#running === 0 && this.#queue.size === 0) this.#notifyIdle();
  }

  /** Takes an entry back: a queued one is dropped, a running one is cancelled in its backend. */
  #withdraw(entry: Entry, reason: Error): void {
    if (entry.state === 2) return;
    if (entry.state === 0) {
      this.#queue.remove(entry);
      entry.state = 2;
      entry.fail(reason);
      this.#notifyRoom();
      if (this.#running === 0 && this.#queue.size === 0) this.#notifyIdle();
      return;
    }
    // Running: the backend rejects its exec promise with `reason`; #finish settles the entry.
    this.#impl?.cancel(entry.request, reason);
  }

  #notifyRoom(): void {
    if (this.#roomWaiters.length === 0) return;
    const maxQueue = this.#options.maxQueue;
    while (this.#roomWaiters.length > 0 && this.#queue.size < maxQueue) this.#roomWaiters.shift()?.();
  }

  #notifyIdle(): void {
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
    this.emit('idle');
  }

  #collect(
    task: Task<never[], unknown>,
    input: MapInput,
    options: MapOptions<unknown>,
    failFast: boolean,
  ): Promise<unknown[]> {
    try {
      this.#assertOpen();
    } catch (error) {
      return Promise.reject(error);
    }
    // Outcomes arrive by chunk and out of order; they are put in order once, at the end
    // (writing far past the end of a growing array, or into a huge presized one, is slow).
    const chunks: { first: number; values: ArrayLike<unknown>; count: number }[] = [];
    const singles: { index: number; value: unknown }[] = [];
    const sink: MapSink = failFast
      ? {
          chunk: (first, values, count) => chunks.push({ first, values, count }),
          value: (index, value) => singles.push({ index, value }),
          error: () => false,
        }
      : {
          chunk: (first, values, count) =>
            chunks.push({
              first,
              values: Array.from({ length: count }, (_, i) => ({ status: 'fulfilled', value: values[i] })),
              count,
            }),
          value: (index, value) => singles.push({ index, value: { status: 'fulfilled', value } }),
          error: (index, reason) => {
            singles.push({ index, value: { status: 'rejected', reason } });
            return true;
          },
        };
    let run: MapRun;
    try {
      run = new MapRun(this.#dispatcher, task, input, options, sink, true);
    } catch (error) {
      return Promise.reject(error);
    }
    return run.done.then(() => {
      // Chunks and single outcomes cover the input without gaps: sort them, then append in order.
      for (const { index, value } of singles) chunks.push({ first: index, values: [value], count: 1 });
      chunks.sort((a, b) => a.first - b.first);
      const results: unknown[] = [];
      for (const { values, count } of chunks) appendAll(results, values, count);
      return results;
    });
  }

  #iterate(
    task: Task<never[], unknown>,
    input: MapInput,
    options: MapOptions<unknown>,
    ordered: boolean,
  ): AsyncIterableIterator<unknown> {
    this.#assertOpen();
    return iterateRun(this.#dispatcher, task, input, options, ordered);
  }
}

/** Appends the first `count` values (an array or a Float64Array) to `out`, in bulk where possible. */
function appendAll(out: unknown[], values: ArrayLike<unknown>, count: number): void {
  if (count <= 32_768) {
    const part =
      count === values.length
        ? values
        : ArrayBuffer.isView(values)
          ? (values as unknown as Float64Array).subarray(0, count)
          : Array.prototype.slice.call(values, 0, count);
    Array.prototype.push.apply(out, part as unknown[]);
    return;
  }
  for (let i = 0; i < count; i++) out.push(values[i]);
}

/**
 * One apply()/submit() call: it is at once the pool's queue entry and the backend's request,
 * so a call costs one object (plus its Job or promise), not a handful of closures.
 */
class SingleCall implements Entry, ExecRequest {
  state: 0 | 1 | 2 = 0;
  readonly taskName: string;
  /** The call's arguments; with one argument they double as `singleArgs`. */
  readonly #args: unknown[];
  readonly singleArgs?: readonly unknown[];
  readonly firstIndex = 0;
  readonly transfer?: readonly ArrayBuffer[];
  readonly timeout?: number;
  job: Job<unknown> | undefined;
  resolve: ((value: unknown) => void) | undefined;
  reject: ((error: unknown) => void) | undefined;
  #onAbort: (() => void) | undefined;

  constructor(
    readonly pool: Pool,
    readonly task: TaskRef | LocalFunction,
    args: unknown[],
    transfer: ArrayBuffer[] | undefined,
    timeout: number | undefined,
    readonly signal: AbortSignal | undefined,
  ) {
    this.taskName = describeTask(task as Task<never[], unknown>);
    this.#args = args;
    if (args.length === 1) this.singleArgs = args;
    if (transfer !== undefined) this.transfer = transfer;
    if (timeout !== undefined) this.timeout = timeout;
  }

  get request(): ExecRequest {
    return this;
  }

  get items(): (readonly unknown[])[] {
    return [this.#args];
  }

  listen(signal: AbortSignal): void {
    this.#onAbort = () => this.pool._withdraw(this, new TaskAbortedError(this.taskName, signal.reason));
    signal.addEventListener('abort', this.#onAbort, { once: true });
  }

  cancel(reason?: unknown): boolean {
    if (this.state === 2) return false;
    this.pool._withdraw(this, new TaskAbortedError(this.taskName, reason));
    return true;
  }

  started(): void {
    this.job?._started();
  }

  onProgress(index: number, update: ProgressUpdate): void {
    this.job?._progress(update);
    this.pool._emitProgress({
      ...update,
      task: this.taskName,
      index,
      ...(this.job ? { jobId: this.job.id } : {}),
    });
  }

  done(result: ExecResult): void {
    const error = result.errors?.get(0);
    if (error !== undefined) this.fail(error);
    else {
      this.#detach();
      const value = result.values[0];
      if (this.job !== undefined) this.job._resolve(value);
      else this.resolve?.(value);
    }
  }

  fail(error: unknown): void {
    this.#detach();
    if (this.job !== undefined) this.job._reject(error);
    else this.reject?.(error);
  }

  #detach(): void {
    if (this.#onAbort !== undefined) this.signal?.removeEventListener('abort', this.#onAbort);
  }
}

function needsRedis(method: string, backend: BackendName): InvalidArgumentError {
  return new InvalidArgumentError(
    `pool.${method}() needs backend 'redis' (this pool runs on '${backend}'): use new Pool({ backend: 'redis', connection, queue }), or submit() for a local job`,
  );
}

function adoptRemote(job: Job<unknown>, remote: RemoteJob): void {
  job._attach({
    cancel: (reason) => {
      remote.cancel(new TaskAbortedError(remote.task, reason));
      return true;
    },
  });
  job._started();
  remote.result.then(
    (value) => job._resolve(value),
    (error: unknown) => job._reject(error),
  );
}

/** Adapts a MapRun to an async iterator: ordered (imap) or in completion order (imapUnordered). */
function iterateRun(
  dispatcher: Dispatcher,
  task: Task<never[], unknown>,
  input: MapInput,
  options: MapOptions<unknown>,
  ordered: boolean,
): AsyncIterableIterator<unknown> {
  const ready = new Map<number, unknown>();
  const arrivals: unknown[] = [];
  let nextIndex = 0;
  let failure: { error: unknown } | undefined;
  let finished = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const sink: MapSink = {
    value: (index, value) => {
      if (ordered) ready.set(index, value);
      else arrivals.push(value);
      notify();
    },
    error: (_index, error) => {
      failure ??= { error };
      notify();
      return false;
    },
  };
  const run = new MapRun(dispatcher, task, input, options, sink, false);
  run.done.then(
    () => {
      finished = true;
      notify();
    },
    (error: unknown) => {
      failure ??= { error };
      finished = true;
      notify();
    },
  );
  const iterator: AsyncIterableIterator<unknown> = {
    async next(): Promise<IteratorResult<unknown>> {
      for (;;) {
        if (ordered && ready.has(nextIndex)) {
          const value = ready.get(nextIndex);
          ready.delete(nextIndex++);
          run.consumed(1);
          return { value, done: false };
        }
        if (!ordered && arrivals.length > 0) {
          run.consumed(1);
          return { value: arrivals.shift(), done: false };
        }
        if (failure !== undefined) {
          run.stop();
          throw failure.error;
        }
        if (finished) return { value: undefined, done: true };
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    },
    async return(): Promise<IteratorResult<unknown>> {
      run.stop();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
