/**
 * The contract every execution model implements. The Pool (pool.ts) owns queueing,
 * backpressure, job handles and the map family; a backend only runs requests.
 *
 * A request carries one or more argument lists for the same task (a batch: the pool batches
 * tiny tasks adaptively). Items settle one by one: a task that throws fails its own item only.
 * The whole request rejects only when the request as such failed: its worker crashed
 * (WorkerCrashedError), it timed out (TaskTimeoutError) or it was cancelled through
 * `cancel()` (with the reason given there). Cancellation goes through `cancel()` rather than a
 * signal per request, so that a million tiny requests cost no listeners.
 *
 * Tasks are named by `TaskRef` (module URL for local backends, the stable `id` for remote ones).
 * Arguments and results are structured-cloneable data; remote backends encode them portably.
 */
import type { BufferPath } from './arguments.js';
import type { SerializedError } from './error-codec.js';
import type { TaskRef } from './task.js';
import type { ProgressUpdate } from './task-context.js';

export type BackendName = 'sequential' | 'async' | 'threads' | 'processes' | 'redis';

/** A plain function; only the sequential and async backends accept one. */
export type LocalFunction = (...args: unknown[]) => unknown;

export interface ExecRequest {
  /** What to run. */
  readonly task: TaskRef | LocalFunction;
  /** Human name of the task (`tasks#square`), for errors and events. */
  readonly taskName: string;
  /** One argument list per item. */
  readonly items: readonly (readonly unknown[])[];
  /**
   * Set when every item is called with exactly one argument: `singleArgs[i]` is item i's
   * argument. It spares an array per item; backends that read it need never touch `items`
   * (which is then built on first access).
   */
  readonly singleArgs?: readonly unknown[];
  /**
   * Set on a map batch whose single arguments are all numbers, for backends that take them so
   * (`packsNumbers`): the arguments, packed. `singleArgs` then holds them too, built on first
   * access; such a backend need never touch it.
   */
  readonly packed?: Float64Array;
  /** Index of the first item within its map (for progress events); 0 for single calls. */
  readonly firstIndex: number;
  /** ArrayBuffers to move rather than copy (worker threads only; others copy). */
  readonly transfer?: readonly ArrayBuffer[];
  /**
   * Where Buffers sit among the arguments (threads only, whose structured clone would deliver
   * them as plain Uint8Arrays): relative to the argument list for a single call, to the items
   * for a batch ([item, ...keys] with singleArgs, [item, argument, ...keys] otherwise).
   */
  readonly buffers?: readonly BufferPath[];
  /**
   * Bytes of binary data (typed arrays, DataViews, ArrayBuffers) among the arguments, when there
   * is any, moved ones included (set by the pool for backends that copy arguments): a worker
   * backend sends big copies in messages of a few MiB and does not take them back from a busy
   * worker once copied.
   */
  readonly copyBytes?: number;
  /** Milliseconds each item may run; the backend enforces it (and ends a stuck worker). */
  readonly timeout?: number;
  /** Called when a task reports progress; `index` is the item's index within its map. */
  readonly onProgress?: (index: number, update: ProgressUpdate) => void;
  /** W3C traceparent of the caller's span, set only while tracing is on (src/observe/tracing.ts). */
  readonly traceparent?: string;
  /**
   * True on the batches of a map (whatever their size, one item included), never on single
   * calls: a distributed backend sends such a request as one chunked job.
   */
  readonly mapBatch?: boolean;
  /**
   * Distributed backends: the job's id, instead of one of their own: a single call's dedupe key
   * (`.with({ jobId })`), or a workflow's name for its node's job, so that a flow resumed by
   * another process follows the very jobs already on the queue.
   */
  readonly jobId?: string;
  /**
   * With `jobId`: whether the job may be on the queue already (finished, even), so that it is
   * looked up once added. Unset means yes; a new flow's nodes say no.
   */
  readonly jobMayExist?: boolean;
}

/**
 * Outcome of a request: one value per item (an array, or a Float64Array when every result was
 * a number and the backend kept them packed); `errors` holds the items that threw.
 */
export interface ExecResult {
  readonly values: ArrayLike<unknown>;
  /** Item index -> error, only for items that failed (undefined when none failed). */
  readonly errors?: Map<number, Error>;
  /**
   * Milliseconds the request actually ran, when the backend knows it (workers that pipeline
   * requests: excludes the time a request waited behind others). Map batching sizes on it.
   */
  readonly busyMs?: number;
}

/** The data a worker sends back for a batch (also the wire format of threads and processes). */
export interface WireResult {
  readonly values: unknown[];
  readonly errors?: [index: number, error: SerializedError][];
}

export interface Backend {
  readonly name: BackendName;
  /**
   * How many requests the pool should keep in flight at once. The pool does not dispatch more;
   * a backend that pipelines several requests per worker reports workers x depth.
   */
  readonly slots: number;
  /** How many tasks truly run at the same time (workers; the async backend's concurrency). */
  readonly parallelism: number;
  /** Largest batch worth sending as one request (1 disables batching, e.g. the async backend). */
  readonly maxBatch: number;
  /** Whether plain functions (not task references) can run here. */
  readonly acceptsFunctions: boolean;
  /** Whether arguments must be checked for cloneability before they are sent. */
  readonly copiesArguments: boolean;
  /** Whether it takes a map batch of numbers packed in a Float64Array (ExecRequest.packed). */
  readonly packsNumbers?: boolean;
  /** Runs a request. Must not throw synchronously. */
  exec(request: ExecRequest): Promise<ExecResult>;
  /**
   * Stops a request that `exec` is running: its task's `currentTask().signal` fires, the exec
   * promise rejects with `reason` at once, and a task that ignores the signal (a stuck loop)
   * is stopped by ending its worker, which is replaced. Unknown or finished requests: no-op.
   */
  cancel(request: ExecRequest, reason: Error): void;
  /** Graceful end, called once nothing is in flight: release workers, connections, timers. */
  close(): Promise<void>;
  /** Immediate end: reject what is in flight with `reason`, kill workers. */
  terminate(reason: Error): Promise<void>;
  /** Distributed backends only (redis): puts one job on the queue with its own options. */
  enqueue?(request: ExecRequest, options: EnqueueOptions): Promise<RemoteJob>;
  /** Distributed backends only (redis): follows a job by its id, from any process. */
  follow?(id: string, onProgress: (update: ProgressUpdate) => void): RemoteJob;
}

/** Options of one job put on a distributed queue with `pool.enqueue()`. */
export interface EnqueueOptions {
  /** Runs in all, counting the first (default 1: no retry). */
  readonly attempts?: number;
  /** Wait between attempts: a kind (delay 1000 ms) or a kind with its delay in ms. */
  readonly backoff?:
    | 'exponential'
    | 'fixed'
    | { readonly type: 'exponential' | 'fixed'; readonly delay: number };
  /** Ms before the job may start. */
  readonly delay?: number;
  /** 1 is the highest priority; jobs without one come before prioritized ones (BullMQ's rule). */
  readonly priority?: number;
  /** Your own id: a job whose id is already on the queue is not enqueued again. */
  readonly jobId?: string;
  /** Ms the task may run; the worker enforces it (default: the task's or the pool's timeout). */
  readonly timeout?: number;
}

/** A job on a distributed queue, as its backend follows it. */
export interface RemoteJob {
  readonly id: string;
  /** The task's name (`tasks#square`), when known. */
  readonly task: string;
  /** Settles with the task's result or error (JobLostError when the job vanished). */
  readonly result: Promise<unknown>;
  /** Removes the job if it waits; asks its worker to stop it if it runs. */
  cancel(reason: Error): void;
}

/** Options every backend factory receives (a subset is meaningful to each). */
export interface BackendOptions {
  /** Workers (threads, processes) — default: available parallelism. */
  readonly workers: number;
  /** In-flight tasks (async backend) — default 64. */
  readonly concurrency: number;
  /** Requests a worker (threads, processes) runs at once while they await — default 1. */
  readonly tasksPerWorker: number;
  /** Ms a worker's initializer may take before the worker is ended; default: none. */
  readonly initializerTimeout?: number | undefined;
  /** Per-worker setup task; its result becomes `workerContext()`. */
  readonly initializer?: TaskRef | LocalFunction;
  readonly initializerArgs: readonly unknown[];
  /** Milliseconds before an idle worker is ended (workers start again on demand). */
  readonly idleTimeout: number;
  /** Extra settings for one backend, passed through from PoolOptions. */
  readonly [key: string]: unknown;
}

/** How many items a request carries. */
export function itemCount(request: ExecRequest): number {
  if (request.packed !== undefined) return request.packed.length;
  return request.singleArgs !== undefined ? request.singleArgs.length : request.items.length;
}
