/**
 * What a running task can see of its surroundings, on every backend:
 * - `currentTask()`: its id and AbortSignal (cancellation, timeouts);
 * - `reportProgress(...)`: progress the caller receives as events and in the progress bar;
 * - `workerContext()`: the value this worker's initializer returned (Python's threading.local).
 *
 * State lives on a global keyed by Symbol.for so that two copies of taskmill loaded in one
 * worker (the pool's and the task module's) still share it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { InvalidArgumentError } from './errors.js';

export interface ProgressUpdate {
  /** Fraction done, 0..1. */
  readonly fraction?: number;
  readonly message?: string;
  /** Any structured-cloneable / JSON data the task wants to pass along. */
  readonly data?: unknown;
}

export interface TaskScope {
  /** Task id, e.g. `tasks#download`. */
  readonly task: string;
  readonly signal: AbortSignal;
  /** Index of the item within its map, when the task runs as part of one. */
  readonly index?: number;
  readonly progress: (update: ProgressUpdate) => void;
}

export interface CurrentTask {
  readonly task: string;
  readonly signal: AbortSignal;
  readonly index?: number;
}

interface Runtime {
  readonly storage: AsyncLocalStorage<TaskScope>;
  current: TaskScope | undefined;
  context: unknown;
  hasContext: boolean;
  readonly promiseReturning: WeakSet<object>;
}

const KEY = Symbol.for('taskmill.runtime.v1');
function sharedRuntime(): Runtime {
  const global = globalThis as Record<symbol, unknown>;
  const existing = global[KEY] as Runtime | undefined;
  if (existing !== undefined) return existing;
  const made: Runtime = {
    storage: new AsyncLocalStorage<TaskScope>(),
    current: undefined,
    context: undefined,
    hasContext: false,
    promiseReturning: new WeakSet(),
  };
  global[KEY] = made;
  return made;
}

const runtime = sharedRuntime();

const AsyncFunctionPrototype = Object.getPrototypeOf(async () => {}) as unknown;

function scope(): TaskScope | undefined {
  return runtime.current ?? runtime.storage.getStore();
}

/** The task running now (undefined outside a task). */
export function currentTask(): CurrentTask | undefined {
  const s = scope();
  if (s === undefined) return undefined;
  return s.index === undefined
    ? { task: s.task, signal: s.signal }
    : { task: s.task, signal: s.signal, index: s.index };
}

/**
 * Reports progress of the running task: a fraction (0..1), a message, or both.
 * Outside a task it does nothing, so task modules stay callable directly.
 */
export function reportProgress(update: number | string | ProgressUpdate): void {
  const s = scope();
  if (s === undefined) return;
  let normalized: ProgressUpdate;
  if (typeof update === 'number') normalized = { fraction: update };
  else if (typeof update === 'string') normalized = { message: update };
  else if (typeof update === 'object' && update !== null) normalized = update;
  else
    throw new InvalidArgumentError(
      'reportProgress takes a fraction (0..1), a message, or { fraction, message, data }',
    );
  if (normalized.fraction !== undefined && !(normalized.fraction >= 0 && normalized.fraction <= 1)) {
    throw new InvalidArgumentError(`progress fraction must be between 0 and 1, got ${normalized.fraction}`);
  }
  s.progress(normalized);
}

/**
 * The value this worker's initializer returned: one per worker thread or process, one for the
 * whole pool on the sequential and async backends. Throws when the pool has no initializer.
 */
export function workerContext<T = unknown>(): T {
  if (!runtime.hasContext) {
    throw new InvalidArgumentError(
      'workerContext() has no value: give the pool an initializer (new Pool({ initializer })) whose return value becomes the context',
    );
  }
  return runtime.context as T;
}

/** @internal Sets this worker's context (the initializer's result). */
export function setWorkerContext(value: unknown): void {
  runtime.context = value;
  runtime.hasContext = true;
}

/** @internal Clears the context (when a pool on this thread closes). */
export function clearWorkerContext(): void {
  runtime.context = undefined;
  runtime.hasContext = false;
}

/**
 * @internal Calls `fn(...args)` with `taskScope` visible to `currentTask()` and `reportProgress()`.
 * Synchronous functions take a fast path without AsyncLocalStorage.
 */
export function runInScope(
  taskScope: TaskScope,
  fn: (...args: unknown[]) => unknown,
  args: readonly unknown[],
): unknown {
  if (Object.getPrototypeOf(fn) === AsyncFunctionPrototype || runtime.promiseReturning.has(fn)) {
    const previous = runtime.current;
    runtime.current = undefined;
    try {
      return runtime.storage.run(taskScope, fn, ...args);
    } finally {
      runtime.current = previous;
    }
  }
  const previous = runtime.current;
  runtime.current = taskScope;
  try {
    const result = fn(...args);
    if (
      result !== null &&
      typeof result === 'object' &&
      typeof (result as { then?: unknown }).then === 'function'
    ) {
      // A plain function that returns a promise: its later progress reports need async context.
      runtime.promiseReturning.add(fn);
    }
    return result;
  } finally {
    runtime.current = previous;
  }
}
