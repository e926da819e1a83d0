/**
 * Runs tasks in this very thread: the `sequential` backend (one at a time, the baseline of every
 * benchmark) and the `async` backend (many at once on the event loop, bounded by `concurrency`,
 * the seeds' asyncio.Semaphore). Plain functions are accepted here, task references too.
 *
 * A synchronous task that never returns cannot be interrupted in this thread: timeouts and
 * cancellation settle the call at once and fire the task's signal, which async tasks honour.
 * Use the threads or processes backend for work that must be stoppable.
 */
import type { Backend, BackendName, BackendOptions, ExecRequest, ExecResult } from '../../core/backend.js';
import { TaskTimeoutError } from '../../core/errors.js';
import { type LongTimer, startTimer } from '../../core/long-timer.js';
import { isTaskRef, type TaskRef } from '../../core/task.js';
import {
  clearWorkerContext,
  type ProgressUpdate,
  runInScope,
  setWorkerContext,
  type TaskScope,
} from '../../core/task-context.js';
import { loadTaskFunction, type TaskFunction } from '../../core/task-loader.js';

/** The scope a task sees; its AbortController is made only if someone asks for the signal. */
class RequestScope implements TaskScope {
  readonly task: string;
  index: number;
  #controller: AbortController | undefined;
  readonly #request: ExecRequest;

  constructor(request: ExecRequest, index: number) {
    this.#request = request;
    this.task = request.taskName;
    this.index = index;
  }

  get signal(): AbortSignal {
    this.#controller ??= new AbortController();
    return this.#controller.signal;
  }

  /** Set once the request was cancelled, timed out or terminated: no further item may start. */
  stopped = false;

  abort(reason: Error): void {
    this.stopped = true;
    this.#controller ??= new AbortController();
    this.#controller.abort(reason);
  }

  readonly progress = (update: ProgressUpdate): void => {
    this.#request.onProgress?.(this.index, update);
  };
}

interface Running {
  scope: RequestScope;
  reject: (error: Error) => void;
  timer: LongTimer | undefined;
}

export class InProcessBackend implements Backend {
  readonly name: BackendName;
  readonly slots: number;
  readonly parallelism: number;
  readonly maxBatch: number;
  readonly acceptsFunctions = true;
  readonly copiesArguments = false;
  readonly #options: BackendOptions;
  readonly #running = new Map<ExecRequest, Running>();
  #initialized: Promise<void> | undefined;
  #ready: boolean;
  readonly #loaded = new Map<string, Map<string, TaskFunction>>();
  readonly #scopes = new WeakMap<ExecRequest, RequestScope>();
  #ended = false;

  constructor(name: BackendName, slots: number, maxBatch: number, options: BackendOptions) {
    this.name = name;
    this.slots = slots;
    this.parallelism = slots;
    this.maxBatch = maxBatch;
    this.#options = options;
    this.#ready = options.initializer === undefined;
    if (this.#ready) this.#initialized = Promise.resolve();
  }

  exec(request: ExecRequest): Promise<ExecResult> {
    const fn = this.#ready ? this.#functionFor(request) : undefined;
    if (fn === undefined || request.timeout !== undefined)
      return this.#track(request, this.#runLater(request));
    // Fast path: run synchronously; only a task that returns a promise costs more.
    const scope = new RequestScope(request, request.firstIndex);
    const items = request.items;
    const values: unknown[] = new Array(items.length);
    let errors: Map<number, Error> | undefined;
    for (let i = 0; i < items.length; i++) {
      scope.index = request.firstIndex + i;
      try {
        const value = runInScope(scope, fn, items[i] as unknown[]);
        if (
          value !== null &&
          typeof value === 'object' &&
          typeof (value as PromiseLike<unknown>).then === 'function'
        ) {
          return this.#track(
            request,
            this.#finish(request, scope, fn, values, errors, i, value as PromiseLike<unknown>),
            scope,
          );
        }
        values[i] = value;
      } catch (error) {
        (errors ??= new Map()).set(i, toError(error));
      }
    }
    return Promise.resolve(errors === undefined ? { values } : { values, errors });
  }

  /** Settles with `work`, unless cancel() or the timeout settles it first. */
  #track(request: ExecRequest, work: Promise<ExecResult>, knownScope?: RequestScope): Promise<ExecResult> {
    return new Promise<ExecResult>((resolve, reject) => {
      const scope = knownScope ?? new RequestScope(request, request.firstIndex);
      const running: Running = { scope, reject, timer: undefined };
      this.#running.set(request, running);
      const settle = (fn: () => void) => {
        if (this.#running.get(request) !== running) return;
        this.#running.delete(request);
        running.timer?.clear();
        fn();
      };
      running.reject = (error) => settle(() => reject(error));
      if (request.timeout !== undefined) {
        const timeout = request.timeout;
        running.timer = startTimer(
          () => {
            const error = new TaskTimeoutError(request.taskName, timeout);
            scope.abort(error);
            running.reject(error);
          },
          timeout * request.items.length,
          false,
        );
      }
      this.#scopes.set(request, scope);
      work.then(
        (result) => settle(() => resolve(result)),
        (error: unknown) => settle(() => reject(error)),
      );
    });
  }

  /** Loads the task (and runs the initializer) first, then runs every item. */
  async #runLater(request: ExecRequest): Promise<ExecResult> {
    await (this.#initialized ??= this.#initialize());
    this.#ready = true;
    await Promise.resolve();
    const fn = this.#functionFor(request) ?? (await this.#load(request.task as TaskRef));
    const scope = this.#scopes.get(request) ?? new RequestScope(request, request.firstIndex);
    // Stopped while it waited for the initializer or its module: it never starts.
    if (scope.stopped) return { values: [] };
    return this.#finish(request, scope, fn, new Array(request.items.length), undefined, 0, undefined);
  }

  /** Runs items from `start` on, awaiting each result that is a promise. */
  async #finish(
    request: ExecRequest,
    scope: RequestScope,
    fn: TaskFunction,
    values: unknown[],
    errors: Map<number, Error> | undefined,
    start: number,
    pending: PromiseLike<unknown> | undefined,
  ): Promise<ExecResult> {
    const items = request.items;
    for (let i = start; i < items.length; i++) {
      // Cancelled, timed out or terminated meanwhile: its outcome is settled; start nothing more.
      if (pending === undefined && scope.stopped) break;
      scope.index = request.firstIndex + i;
      try {
        let value = pending ?? runInScope(scope, fn, items[i] as unknown[]);
        pending = undefined;
        if (
          value !== null &&
          typeof value === 'object' &&
          typeof (value as PromiseLike<unknown>).then === 'function'
        ) {
          value = await value;
        }
        values[i] = value;
      } catch (error) {
        pending = undefined;
        (errors ??= new Map()).set(i, toError(error));
      }
    }
    this.#scopes.delete(request);
    return errors === undefined ? { values } : { values, errors };
  }

  #functionFor(request: ExecRequest): TaskFunction | undefined {
    const task = request.task;
    if (typeof task === 'function') return task as TaskFunction;
    return this.#loaded.get(task.module)?.get(task.name);
  }

  async #load(task: TaskRef): Promise<TaskFunction> {
    const fn = await loadTaskFunction(task.module, task.name);
    let names = this.#loaded.get(task.module);
    if (names === undefined) this.#loaded.set(task.module, (names = new Map()));
    names.set(task.name, fn);
    return fn;
  }

  async #initialize(): Promise<void> {
    const init = this.#options.initializer;
    if (init === undefined) return;
    const fn: TaskFunction = isTaskRef(init)
      ? await loadTaskFunction(init.module, init.name)
      : (init as TaskFunction);
    setWorkerContext(await fn(...this.#options.initializerArgs));
  }

  cancel(request: ExecRequest, reason: Error): void {
    const running = this.#running.get(request);
    if (running === undefined) return;
    running.scope.abort(reason);
    running.reject(reason);
  }

  async close(): Promise<void> {
    this.#end();
  }

  async terminate(reason: Error): Promise<void> {
    for (const running of [...this.#running.values()]) {
      running.scope.abort(reason);
      running.reject(reason);
    }
    this.#end();
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#options.initializer !== undefined) clearWorkerContext();
  }
}

function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  const error = new Error(`a task threw a non-Error value: ${String(value)}`);
  (error as Error & { value?: unknown }).value = value;
  return error;
}
