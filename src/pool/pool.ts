/**
 * The Pool: one API over every execution model. It accepts calls, keeps the promise that each
 * one settles (call-ledger.ts), queues them for its backend (run-queue.ts) and runs the map
 * family (map-run.ts); the backend (sequential, async, threads, processes, redis) only runs
 * requests. See core/backend.ts for that contract.
 *
 * The rules every backend keeps through this class:
 * - every call accepted before close() runs to completion; close() only refuses new calls;
 * - join() resolves once every call made before it has settled;
 * - terminate() settles everything at once, with TaskAbortedError;
 * - no call is left pending when nothing can settle it any more: should the process run out
 *   of work while calls are pending (a task awaiting a promise that never resolves), the pool
 *   is terminated and those calls reject, instead of the process exiting silently.
 */
import { EventEmitter } from 'node:events';
import type {
  Backend,
  BackendName,
  EnqueueOptions,
  ExecRequest,
  LocalFunction,
  RemoteJob,
} from '../core/backend.js';
import { InvalidArgumentError, PoolClosedError, QueueFullError } from '../core/errors.js';
import { Job } from '../core/job.js';
import { describeTask, isTaskRef, type Task, type TaskRef } from '../core/task.js';
import { type ExposeOptions, type Exposure, exposePool } from '../observe/expose.js';
import type { PoolObserver } from '../observe/observer.js';
import type { PoolMetrics } from '../observe/pool-metrics.js';
import { type MetricsCallOptions, observePool, poolMetrics } from '../observe/pool-observe.js';
import type { FlowHandle } from '../workflows/flow-handle.js';
import type { FlowHost } from '../workflows/host.js';
import type { Step } from '../workflows/spec.js';
import { attachFlow, type SubmitFlowOptions, submitFlow } from '../workflows/submit.js';
import { createBackend } from './backend-registry.js';
import { CallLedger, type Epoch } from './call-ledger.js';
import type { Dispatcher, Entry, ProgressEvent } from './dispatch.js';
import { iterateRun } from './map-iterator.js';
import { collectRun } from './map-results.js';
import type { MapInput, MapOptions, MapRun } from './map-run.js';
import { type PoolOptions, type ResolvedPoolOptions, resolvePoolOptions } from './pool-options.js';
import { checkRunnable, prepareBatch, prepareCall, prepareSingles } from './prepare-arguments.js';
import { adoptRemote, needsRedis } from './remote-job.js';
import { RunQueue } from './run-queue.js';
import {
  jobIdOf,
  PoolSchedules,
  RecentJobs,
  refuseJobId,
  type Schedule,
  type ScheduleInfo,
  type ScheduleOptions,
} from './scheduling.js';
import { type CallHost, SingleCall } from './single-call.js';
import { watchForStall } from './stall-guard.js';

export type { ProgressEvent } from './dispatch.js';
export type { MapOptions } from './map-run.js';
export type { PoolOptions } from './pool-options.js';

export interface PoolEvents {
  progress: [event: ProgressEvent];
  /** Nothing queued and nothing running. */
  idle: [];
}

type Settled<R> = PromiseSettledResult<R>;

let poolCount = 0;

export class Pool extends EventEmitter<PoolEvents> implements AsyncDisposable {
  /** The execution model this pool runs on. */
  readonly backend: BackendName;
  readonly #options: ResolvedPoolOptions;
  #impl: Backend | undefined;
  #loading: Promise<Backend> | undefined;
  readonly #ledger: CallLedger;
  readonly #queue: RunQueue;
  readonly #runs = new Set<MapRun>();
  #state: 'open' | 'closed' | 'terminated' = 'open';
  #jobSeq = 0;
  readonly #prefix = `p${++poolCount}-`;
  #idleWaiters: (() => void)[] = [];
  #shutdown: Promise<void> | undefined;
  readonly #dispatcher: Dispatcher;
  readonly #host: CallHost;
  #schedules: PoolSchedules | undefined;
  #recentJobs: RecentJobs | undefined;

  constructor(options: PoolOptions = {}) {
    super();
    this.#options = resolvePoolOptions(options);
    this.backend = this.#options.backend;
    if (this.#options.initializer !== undefined)
      checkRunnable(this.backend, this.#options.initializer, 'initializer');
    this.#ledger = new CallLedger();
    this.#queue = new RunQueue(this.#options.maxQueue, () => this.#notifyIdle());
    this.#queue.observer = observePool(this, this.#options);
    const made = createBackend(this.backend, this.#options);
    if (made instanceof Promise) {
      this.#loading = made.then(
        (impl) => {
          this.#impl = impl;
          this.#loading = undefined;
          this.#queue.attach(impl);
          return impl;
        },
        (error: unknown) => {
          // Load errors surface on the calls (and on close), not as an unhandled rejection.
          this.#queue.failQueued(error);
          throw error;
        },
      );
      this.#loading.catch(() => {});
    } else {
      this.#impl = made;
      this.#queue.attach(made);
    }
    const signal = this.#options.signal;
    if (signal !== undefined) {
      if (signal.aborted) void this.terminate();
      else signal.addEventListener('abort', () => void this.terminate(), { once: true });
    }
    const backend = this.backend;
    this.#host = {
      withdraw: (entry, reason) => this.#queue.withdraw(entry, reason),
      emitProgress: (event) => this.#emitProgress(event),
      settled: (epoch) => this.#leave(epoch),
    };
    this.#dispatcher = {
      backendName: backend,
      defaultTimeout: this.#options.timeout,
      backendInfo: async () => {
        const impl = await this.#ready();
        return {
          slots: impl.slots,
          parallelism: impl.parallelism,
          maxBatch: impl.maxBatch,
          packsNumbers: impl.packsNumbers === true,
        };
      },
      prepareBatch: (task, items, firstIndex) => prepareBatch(backend, task, items, firstIndex),
      prepareSingles: (task, args, firstIndex) => prepareSingles(backend, task, args, firstIndex),
      enqueue: (entry: Entry) => this.#queue.enqueue(entry),
      withdraw: (entry, reason) => this.#queue.withdraw(entry, reason),
      emitProgress: (event) => this.#emitProgress(event),
    };
  }

  /** Calls waiting to start. */
  get queued(): number {
    return this.#queue.queued;
  }

  /** Requests running now (a request may hold a batch of map items). */
  get running(): number {
    return this.#queue.running;
  }

  /** Calls accepted and not yet settled (a whole map or imap counts as one). */
  get pending(): number {
    return this.#ledger.open;
  }

  /** Runs `task(...args)` and resolves with its result. Waits for room when the queue is full. */
  apply<A extends unknown[], R>(task: Task<A, R>, ...args: A): Promise<R> {
    let call: SingleCall;
    try {
      this.#assertOpen();
      const same = this.#sameJob(task as Task<never[], unknown>);
      if (same !== undefined) return same.get() as Promise<R>;
      call = this.#makeCall(task as Task<never[], unknown>, args);
    } catch (error) {
      return Promise.reject(error);
    }
    if (call.jobId !== undefined) {
      const job = this.#jobFor(call);
      this.#launchWhenRoom(call);
      return job.get() as Promise<R>;
    }
    const promise = new Promise<R>((resolve, reject) => {
      call.resolve = resolve as (value: unknown) => void;
      call.reject = reject;
    });
    // Accepted now: a full queue only delays it, and close() meanwhile does not refuse it.
    this.#launchWhenRoom(call);
    return promise;
  }

  /**
   * Starts `task(...args)` and returns its Job at once (Python's apply_async).
   * Throws QueueFullError when `maxQueue` calls are already waiting.
   */
  submit<A extends unknown[], R>(task: Task<A, R>, ...args: A): Job<R> {
    this.#assertOpen();
    const same = this.#sameJob(task as Task<never[], unknown>);
    if (same !== undefined) return same as Job<R>;
    if (!this.#queue.hasRoom) throw new QueueFullError(this.#options.maxQueue);
    const call = this.#makeCall(task as Task<never[], unknown>, args);
    const job = this.#jobFor(call) as Job<R>;
    this.#launch(call);
    return job;
  }

  /** `task(item)` for every item, results in input order. Rejects on the first failure and stops what has not started. */
  map<A, R>(
    task: Task<[A], R>,
    items: Iterable<A> | AsyncIterable<A>,
    options: MapOptions<R> = {},
  ): Promise<R[]> {
    return this.#collect(
      task as Task<never[], unknown>,
      { items, spread: false },
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
      { items, spread: false },
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
      { items, spread: false },
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
      { items, spread: false },
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
    const epoch = this.#ledger.enter();
    try {
      const argList: unknown[] = Array.isArray(args) ? [...args] : [args];
      const taskName = describeTask(task as Task<never[], unknown>);
      prepareCall(this.backend, task as Task<never[], unknown>, argList, 'args');
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
      // Observers (metrics, tracing) see the job from enqueue to its result (not when it starts).
      const observer = this.#queue.observer;
      const observed = { request, observed: undefined as unknown };
      observer?.submitted(observed);
      let remote: RemoteJob;
      try {
        // A key given with .with({ jobId }) counts as the enqueue option's.
        const keyed = isTaskRef(task) ? task.options.jobId : undefined;
        remote = await impl.enqueue(
          observed.request,
          keyed !== undefined &&
            typeof options === 'object' &&
            options !== null &&
            options.jobId === undefined
            ? { ...options, jobId: keyed }
            : options,
        );
      } catch (error) {
        observer?.settled(observed, undefined, error);
        throw error;
      }
      if (observer !== undefined) {
        remote.result.then(
          (value) => observer.settled(observed, { values: [value] }, undefined),
          (error: unknown) => observer.settled(observed, undefined, error),
        );
      }
      job = new Job<R>(remote.id, taskName);
      adoptRemote(job as Job<unknown>, remote);
      return job;
    } finally {
      this.#leave(epoch);
    }
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

  /** Runs a workflow (chain, group, chord) and resolves with its output; see submitFlow(). */
  run<R>(flow: Step<[], R>, options?: SubmitFlowOptions): Promise<R> {
    try {
      return this.submitFlow(flow, options).result();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Starts a workflow and returns its handle: id, state per node, events, cancel(), result. */
  submitFlow<R>(flow: Step<[], R>, options?: SubmitFlowOptions): FlowHandle<R> {
    return submitFlow(this.#flowHost(), flow, options);
  }

  /** Distributed backends (redis): a handle on a flow by its id, from any process; resumes it if it runs. */
  flow<R = unknown>(id: string, options?: SubmitFlowOptions): FlowHandle<R> {
    return attachFlow(this.#flowHost(), id, options);
  }

  /** Resolves when fewer than `maxQueue` calls are waiting. */
  whenQueueHasRoom(): Promise<void> {
    return this.#queue.whenRoom();
  }

  /** Resolves when nothing is queued or running. */
  whenIdle(): Promise<void> {
    if (this.#queue.queued === 0 && this.#queue.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /**
   * Runs `task(...args)` on a schedule: `{ every: '15m' }` or `{ cron: '0 3 * * *', tz }`. On
   * Redis it is a job scheduler in the queue (one run per window, however many workers; it
   * outlives this pool); locally, timers that live as long as the pool. See src/schedules.
   */
  schedule<A extends unknown[], R>(
    task: Task<A, R>,
    options: ScheduleOptions,
    ...args: A
  ): Promise<Schedule<R>> {
    try {
      this.#assertOpen();
      return this.#scheduler().add(task as Task<never[], unknown>, options, args) as Promise<Schedule<R>>;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** The schedules of this pool (locally) or of its queue (Redis). */
  schedules(): Promise<ScheduleInfo[]> {
    return this.#scheduler().list();
  }

  /**
   * Accepts no more calls. Every call already made still runs to completion (a map still reading
   * its input included); then the workers are released. `join()` waits for all of it.
   */
  close(): void {
    if (this.#state !== 'open') return;
    this.#state = 'closed';
    this.#schedules?.stop();
    this.#shutdown = this.#ledger
      .whenSettled()
      .then(() => this.whenIdle())
      .then(async () => {
        const impl = await this.#ready().catch(() => undefined);
        if (this.#state === 'closed') await impl?.close();
      });
  }

  /** Waits until every call made so far has settled; after close(), also until the workers are gone. */
  async join(): Promise<void> {
    await this.#ledger.whenSettled();
    if (this.#shutdown !== undefined) await this.#shutdown;
  }

  /** Stops at once: rejects every queued and running call with TaskAbortedError and ends the workers. */
  terminate(): Promise<void> {
    return this.#terminate(new PoolClosedError('the pool was terminated'));
  }

  /**
   * A snapshot of the pool's metrics (needs `metrics: true` in its options, or expose()): per
   * task, calls submitted, started, completed, failed, run-time and queue-wait histograms,
   * latency percentiles; queued, running, workers. `{ format: 'prometheus' }` gives the text.
   */
  metrics(): PoolMetrics;
  metrics(options: MetricsCallOptions & { format: 'prometheus' }): string;
  metrics(options?: MetricsCallOptions): PoolMetrics | string;
  metrics(options?: MetricsCallOptions): PoolMetrics | string {
    return poolMetrics(this, options);
  }

  /** Shows this pool on a dashboard: one from startDashboard() in this process, or a `taskmill dashboard` URL. */
  expose(options: ExposeOptions): Exposure {
    return exposePool(this, options);
  }

  /** @internal Replaces the observer (src/observe/pool-observe.ts). */
  _observe(observer: PoolObserver | undefined): void {
    this.#queue.observer = observer;
  }

  /** `await using pool = new Pool(...)` (Node 24+; TypeScript's downlevel elsewhere): close() + join(). */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.join();
  }

  // ---- internals ---------------------------------------------------------------------------

  #flows: FlowHost | undefined;

  #flowHost(): FlowHost {
    this.#flows ??= {
      backendName: this.backend,
      defaultTimeout: this.#options.timeout,
      ready: () => this.#ready(),
      assertOpen: () => this.#assertOpen(),
      prepareBatch: (task, items, first) => prepareBatch(this.backend, task, items, first),
      enqueue: (entry) => this.#queue.enqueue(entry),
      withdraw: (entry, reason) => this.#queue.withdraw(entry, reason),
      enter: () => this.#enter(),
      leave: (epoch) => this.#leave(epoch),
    };
    return this.#flows;
  }

  /** @internal The stall guard's way in: ends the pool with `reason` (see stall-guard.ts). */
  _terminate(reason: PoolClosedError): Promise<void> {
    return this.#terminate(reason);
  }

  #terminate(reason: PoolClosedError): Promise<void> {
    if (this.#state === 'terminated') return this.#shutdown ?? Promise.resolve();
    this.#state = 'terminated';
    this.#schedules?.stop();
    this.#queue.terminate(reason);
    for (const run of [...this.#runs]) run.abort(reason);
    const previous = this.#shutdown;
    const settled = this.#ledger.whenSettled();
    this.#shutdown = (async () => {
      const impl = await this.#ready().catch(() => undefined);
      await impl?.terminate(reason);
      await previous?.catch(() => {});
      await settled;
      this.#notifyIdle();
    })();
    return this.#shutdown;
  }

  #ready(): Promise<Backend> {
    if (this.#impl !== undefined) return Promise.resolve(this.#impl);
    return this.#loading as Promise<Backend>;
  }

  /** A call's Job (its id the call's jobId, if it has one), remembered by jobId on the local backends. */
  #jobFor(call: SingleCall): Job<unknown> {
    const job = new Job<unknown>(call.jobId ?? ++this.#jobSeq, call.taskName, this.#prefix);
    call.job = job;
    job._attach(call);
    if (call.jobId !== undefined && this.backend !== 'redis') {
      this.#recentJobs ??= new RecentJobs();
      this.#recentJobs.remember(call.jobId, job);
    }
    return job;
  }

  /** Locally, the Job an earlier call with the same jobId made (on Redis the queue dedupes). */
  #sameJob(task: Task<never[], unknown>): Job<unknown> | undefined {
    if (this.backend === 'redis' || this.#recentJobs === undefined) return undefined;
    const jobId = jobIdOf(task);
    return jobId === undefined ? undefined : this.#recentJobs.get(jobId);
  }

  #scheduler(): PoolSchedules {
    this.#schedules ??= new PoolSchedules({
      backend: this.backend,
      ready: () => this.#ready(),
      check: (task, args) => void prepareCall(this.backend, task, [...args], 'args'),
      submit: (task, args) => this.submit(task, ...(args as never[])),
      follow: (id) => this.job(id),
      timeoutOf: (task) => (isTaskRef(task) ? task.options.timeout : undefined) ?? this.#options.timeout,
    });
    return this.#schedules;
  }

  #assertOpen(): void {
    if (this.#state !== 'open') {
      throw new PoolClosedError(
        this.#state === 'closed'
          ? 'the pool is closed: new calls are refused after close(); create a new Pool for more work'
          : 'the pool was terminated: create a new Pool for more work',
      );
    }
  }

  #enter(): Epoch {
    if (this.#ledger.open === 0) watchForStall(this);
    return this.#ledger.enter();
  }

  #leave(epoch: Epoch): void {
    this.#ledger.leave(epoch);
  }

  #makeCall(task: Task<never[], unknown>, args: unknown[]): SingleCall {
    const carried = prepareCall(this.backend, task, args, 'args');
    const callOptions = isTaskRef(task) ? task.options : undefined;
    const timeout = callOptions?.timeout ?? this.#options.timeout;
    return new SingleCall(
      this.#host,
      this.#enter(),
      task as TaskRef | LocalFunction,
      args,
      carried,
      timeout,
      callOptions?.signal,
    );
  }

  #launch(call: SingleCall): void {
    if (call.listen()) this.#queue.enqueue(call);
  }

  #launchWhenRoom(call: SingleCall): void {
    if (this.#queue.hasRoom || this.#state === 'terminated') {
      this.#launch(call);
      return;
    }
    void this.#queue.whenRoom().then(() => this.#launchWhenRoom(call));
  }

  #emitProgress(event: ProgressEvent): void {
    if (this.listenerCount('progress') > 0) this.emit('progress', event);
  }

  #notifyIdle(): void {
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
    this.emit('idle');
  }

  #track(epoch: Epoch): (run: MapRun) => void {
    return (run) => {
      this.#runs.add(run);
      run.done.then(
        () => this.#untrack(run, epoch),
        () => this.#untrack(run, epoch),
      );
    };
  }

  #untrack(run: MapRun, epoch: Epoch): void {
    this.#runs.delete(run);
    this.#leave(epoch);
  }

  #collect(
    task: Task<never[], unknown>,
    input: MapInput,
    options: MapOptions<unknown>,
    failFast: boolean,
  ): Promise<unknown[]> {
    try {
      this.#assertOpen();
      refuseJobId(task, 'map');
    } catch (error) {
      return Promise.reject(error);
    }
    const epoch = this.#enter();
    let tracked = false;
    const result = collectRun(this.#dispatcher, task, input, options, failFast, (run) => {
      tracked = true;
      this.#track(epoch)(run);
    });
    if (!tracked) this.#leave(epoch);
    return result;
  }

  #iterate(
    task: Task<never[], unknown>,
    input: MapInput,
    options: MapOptions<unknown>,
    ordered: boolean,
  ): AsyncIterableIterator<unknown> {
    this.#assertOpen();
    refuseJobId(task, ordered ? 'imap' : 'imapUnordered');
    const epoch = this.#enter();
    try {
      return iterateRun(this.#dispatcher, task, input, options, ordered, this.#track(epoch));
    } catch (error) {
      this.#leave(epoch);
      throw error;
    }
  }
}
