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
import { isTaskRef } from '../../core/task.js';
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

  abort(reason: Error): void {
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
  timer: NodeJS.Timeout | undefined;
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
  #ended = false;

  constructor(name: BackendName, slots: number, maxBatch: number, options: BackendOptions) {
    this.name = name;
    this.slots = slots;
    this.parallelism = slots;
    this.maxBatch = maxBatch;
    this.#options = options;
    if (options.initializer === undefined) this.#initialized = Promise.resolve();
  }

  exec(request: ExecRequest): Promise<ExecResult> {
    return new Promise<ExecResult>((resolve, reject) => {
      const scope = new RequestScope(request, request.firstIndex);
      const running: Running = { scope, reject, timer: undefined };
      this.#running.set(request, running);
      const settle = (fn: () => void) => {
        if (this.#running.get(request) !== running) return;
        this.#running.delete(request);
        if (running.timer !== undefined) clearTimeout(running.timer);
        fn();
      };
      running.reject = (error) => settle(() => reject(error));
      if (request.timeout !== undefined) {
        const timeout = request.timeout;
        running.timer = setTimeout(() => {
          const error = new TaskTimeoutError(request.taskName, timeout);
          scope.abort(error);
          running.reject(error);
        }, timeout * request.items.length);
      }
      this.#run(request, scope).then(
        (result) => settle(() => resolve(result)),
        (error: unknown) => settle(() => reject(error)),
      );
    });
  }

  async #run(request: ExecRequest, scope: RequestScope): Promise<ExecResult> {
    await (this.#initialized ??= this.#initialize());
    const fn: TaskFunction = isTaskRef(request.task)
      ? await loadTaskFunction(request.task.module, request.task.name)
      : (request.task as TaskFunction);
    const items = request.items;
    const values: unknown[] = new Array(items.length);
    let errors: Map<number, Error> | undefined;
    for (let i = 0; i < items.length; i++) {
      scope.index = request.firstIndex + i;
      try {
        let value = runInScope(scope, fn, items[i] as unknown[]);
        if (
          value !== null &&
          typeof value === 'object' &&
          typeof (value as PromiseLike<unknown>).then === 'function'
        ) {
          value = await value;
        }
        values[i] = value;
      } catch (error) {
        (errors ??= new Map()).set(i, error instanceof Error ? error : toError(error));
      }
    }
    return errors === undefined ? { values } : { values, errors };
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
  const error = new Error(`a task threw a non-Error value: ${String(value)}`);
  (error as Error & { value?: unknown }).value = value;
  return error;
}
