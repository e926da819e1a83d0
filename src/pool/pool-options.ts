/** Pool options, their defaults and their validation. */
import { availableParallelism } from 'node:os';
import type { BackendName, BackendOptions, LocalFunction } from '../core/backend.js';
import { InvalidArgumentError } from '../core/errors.js';
import { assertKnownKeys } from '../core/option-keys.js';
import { isTaskRef, type TaskRef } from '../core/task.js';
import type { MetricsOption } from '../observe/pool-observe.js';

export const BACKENDS: readonly BackendName[] = ['sequential', 'async', 'threads', 'processes', 'redis'];

export interface PoolOptions {
  /** Execution model; default `threads`. Changing it changes nothing else in your code. */
  readonly backend?: BackendName;
  /** Worker threads or processes (threads, processes; local pool of a redis worker). Default: available parallelism. */
  readonly workers?: number;
  /**
   * Tasks in flight at once. async: on the event loop (the seeds' asyncio.Semaphore), default
   * 64. threads / processes: in all, each worker running up to ceil(concurrency / workers) of
   * them at once while they await (I/O in workers); default one per worker. Synchronous tasks
   * never overlap in a worker, so CPU-bound work is unaffected.
   */
  readonly concurrency?: number;
  /** Runs once in each worker before its first task; its result is `workerContext()` there. */
  readonly initializer?: TaskRef | LocalFunction;
  readonly initializerArgs?: readonly unknown[];
  /** Default per-call timeout in ms (a call's own `.with({ timeout })` wins). */
  readonly timeout?: number;
  /**
   * Ms each worker's initializer may take; past it the worker is ended and the calls it held
   * fail with TaskTimeoutError. Default: the pool's `timeout`, else none.
   */
  readonly initializerTimeout?: number;
  /** Most calls waiting to start; `apply`/`map` wait for room, `submit` throws QueueFullError. Default: unbounded. */
  readonly maxQueue?: number;
  /** Ms an idle worker lives before it is ended; it starts again on demand. Default 10,000. */
  readonly idleTimeout?: number;
  /** Aborting it terminates the pool. */
  readonly signal?: AbortSignal;
  /** Worker threads: V8 heap limits per worker. */
  readonly resourceLimits?: {
    readonly maxOldGenerationSizeMb?: number;
    readonly maxYoungGenerationSizeMb?: number;
    readonly codeRangeSizeMb?: number;
    readonly stackSizeMb?: number;
  };
  /** Child processes: extra Node flags, and the environment (default: the parent's). */
  readonly execArgv?: readonly string[];
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** redis backend: a `redis://` / `rediss://` URL or connection options (see the distributed docs). */
  readonly connection?: string | Readonly<Record<string, unknown>>;
  /** redis backend: the queue's name (workers started with the same name take its jobs). */
  readonly queue?: string;
  /** redis backend: Redis key prefix (default `bull`, BullMQ's, so its tools see the queue). */
  readonly prefix?: string;
  /** redis backend: jobs this pool keeps on the queue at once (default 5,000). */
  readonly inFlight?: number;
  /** redis backend: largest encoded arguments or result, in bytes (default 5 MiB). */
  readonly maxPayloadBytes?: number;
  /** redis backend: how long (seconds) and how many finished jobs Redis keeps (default 1 h, 10,000; failed: 7 days, 10,000). */
  readonly keepCompleted?: { readonly age?: number; readonly count?: number };
  readonly keepFailed?: { readonly age?: number; readonly count?: number };
  /** redis backend: ms between checks for jobs that vanished (Redis restarted empty); default 5,000. */
  readonly lostJobCheckInterval?: number;
  /** redis backend: ms to wait for Redis when the pool starts before failing (default 10,000). */
  readonly connectTimeout?: number;
  /** Collect metrics (`pool.metrics()`, Prometheus, the dashboard): true, or `{ name }` to name the pool. Default off. */
  readonly metrics?: MetricsOption;
}

/** Every key of PoolOptions: any other is refused (a misspelled option would silently do nothing). */
export const POOL_OPTION_KEYS: readonly (keyof PoolOptions)[] = [
  'backend',
  'workers',
  'concurrency',
  'initializer',
  'initializerArgs',
  'timeout',
  'initializerTimeout',
  'maxQueue',
  'idleTimeout',
  'signal',
  'resourceLimits',
  'execArgv',
  'env',
  'connection',
  'queue',
  'prefix',
  'inFlight',
  'maxPayloadBytes',
  'keepCompleted',
  'keepFailed',
  'lostJobCheckInterval',
  'connectTimeout',
  'metrics',
];

const RESOURCE_LIMIT_KEYS = [
  'maxOldGenerationSizeMb',
  'maxYoungGenerationSizeMb',
  'codeRangeSizeMb',
  'stackSizeMb',
] as const;

export interface ResolvedPoolOptions extends BackendOptions {
  readonly backend: BackendName;
  readonly timeout: number | undefined;
  readonly maxQueue: number;
  readonly signal?: AbortSignal;
}

export function resolvePoolOptions(options: PoolOptions): ResolvedPoolOptions {
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError('Pool options must be an object, e.g. new Pool({ backend: "threads" })');
  }
  assertKnownKeys(options, POOL_OPTION_KEYS, 'Pool options');
  if (options.resourceLimits !== undefined) {
    if (options.resourceLimits === null || typeof options.resourceLimits !== 'object') {
      throw new InvalidArgumentError(
        'resourceLimits must be an object, e.g. { maxOldGenerationSizeMb: 512 }',
      );
    }
    assertKnownKeys(options.resourceLimits, RESOURCE_LIMIT_KEYS, 'Pool option resourceLimits');
  }
  const backend = options.backend ?? 'threads';
  if (!BACKENDS.includes(backend)) {
    throw new InvalidArgumentError(
      `unknown backend ${JSON.stringify(backend)}: use one of ${BACKENDS.join(', ')} (or backend: 'auto' with parallel())`,
    );
  }
  const workers = positiveInteger('workers', options.workers, availableParallelism());
  const concurrency = positiveInteger('concurrency', options.concurrency, 64);
  const tasksPerWorker = options.concurrency === undefined ? 1 : Math.ceil(concurrency / workers);
  const idleTimeout = nonNegative('idleTimeout', options.idleTimeout, 10_000);
  const maxQueue = positiveIntegerOrInfinity('maxQueue', options.maxQueue);
  const timeout = optionalTimeout('timeout', options.timeout);
  const initializerTimeout = optionalTimeout('initializerTimeout', options.initializerTimeout) ?? timeout;
  const initializer = options.initializer;
  if (initializer !== undefined && !isTaskRef(initializer) && typeof initializer !== 'function') {
    throw new InvalidArgumentError(
      'initializer must be a task reference (t.setup) or, on sequential/async, a function',
    );
  }
  if (options.initializerArgs !== undefined && !Array.isArray(options.initializerArgs)) {
    throw new InvalidArgumentError('initializerArgs must be an array of arguments');
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new InvalidArgumentError('signal must be an AbortSignal');
  }
  return {
    ...options,
    backend,
    workers,
    concurrency,
    tasksPerWorker,
    idleTimeout,
    maxQueue,
    timeout,
    initializerTimeout,
    initializer,
    initializerArgs: options.initializerArgs ?? [],
  };
}

function positiveInteger(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1) return value;
  throw new InvalidArgumentError(`${name} must be a whole number of at least 1, got ${String(value)}`);
}

function positiveIntegerOrInfinity(name: string, value: unknown): number {
  if (value === undefined || value === Number.POSITIVE_INFINITY) return Number.POSITIVE_INFINITY;
  return positiveInteger(name, value, 1);
}

/** A timeout in ms; 0 and Infinity mean none. */
function optionalTimeout(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const ms = nonNegative(name, value, 0);
  return ms === 0 || ms === Number.POSITIVE_INFINITY ? undefined : ms;
}

/** A delay in ms, Infinity allowed (never). */
function nonNegative(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number' && value >= 0 && !Number.isNaN(value)) return value;
  throw new InvalidArgumentError(
    `${name} must be a non-negative number of milliseconds, got ${String(value)}`,
  );
}
