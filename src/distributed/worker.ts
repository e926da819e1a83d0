/**
 * `taskmill worker` as a function: takes jobs from a queue and runs them, but only tasks from
 * the modules it was started with. Payloads are decoded as data with a size limit; results and
 * errors go back through BullMQ; progress goes out as BullMQ progress events.
 *
 * By default (`isolation: 'process'`) this process only supervises: the BullMQ worker and the
 * tasks run in a child process (local-worker.ts), so a task that kills its process
 * (`process.exit`, an uncaught error, a native crash, a loop that blocks the event loop) kills
 * only that child. The supervisor finds the jobs the child held, hands them back at once, works
 * out which job crashed it, fails that job with WorkerCrashedError after `maxCrashes` crashes,
 * and starts a new child (supervisor.ts, crash-recovery.ts). `isolation: 'none'` runs the
 * worker in this very process, as BullMQ does.
 *
 * Reliability: locks are short (5 s) and renewed every 2.5 s while a task runs (the heartbeat),
 * and every worker checks for stalled jobs every 2 s, so the jobs of a worker killed with
 * `kill -9` run again elsewhere within ~7 s, while a long task on a live worker is never taken
 * from it. Delivery is at least once: tasks should be idempotent.
 *
 * `close()` stops taking jobs and waits for those in flight; after `graceMs` it stops them and
 * hands them back to the queue (another worker runs them).
 */
import { InvalidArgumentError } from '../core/errors.js';
import { assertKnownKeys } from '../core/option-keys.js';
import type { ConnectionSpec } from './connection-spec.js';
import { validatePrefix, validateQueueName } from './queue-keys.js';
import { DEFAULT_MAX_PAYLOAD } from './redis-backend.js';
import type { TaskModuleSpec } from './task-allow-list.js';

export interface WorkerOptions {
  /** Task modules this worker runs (paths, file URLs, or `{ id, module }`); nothing else runs. */
  readonly tasks: readonly (string | URL | TaskModuleSpec)[];
  /** Queue to take jobs from (the pool's `queue`). Default `taskmill`. */
  readonly queue?: string;
  /** `redis://[user:password@]host:port[/db]`, `rediss://…` for TLS, or ioredis options. */
  readonly connection?: ConnectionSpec;
  /** Redis key prefix (default `bull`); must match the callers'. */
  readonly prefix?: string;
  /** Jobs run at once by this worker. Default 50. */
  readonly concurrency?: number;
  /** Where tasks run inside the worker: 'async' (default), 'threads' or 'processes'. */
  readonly backend?: 'async' | 'threads' | 'processes';
  /** Threads or processes of the local pool (default: available parallelism). */
  readonly workers?: number;
  /** A task (`moduleId#name`, from the allowed modules) run once per local worker; its result is workerContext(). */
  readonly initializer?: string;
  readonly initializerArgs?: readonly unknown[];
  /**
   * 'process' (default): the worker runs in a supervised child process, which a crashing task
   * takes down alone; 'none': in this process (a crashing task ends this process).
   */
  readonly isolation?: 'process' | 'none';
  /** Crashes of its worker process a job may cause, running alone, before it fails with WorkerCrashedError. Default 2. */
  readonly maxCrashes?: number;
  /** Ms a job's lock lasts without renewal; renewed every half of it while the task runs. Default 5,000. */
  readonly lockDuration?: number;
  /** Ms between checks for stalled jobs (locks that expired: their worker died). Default 2,000. */
  readonly stalledInterval?: number;
  /** Times a job may be recovered from a dead worker before it fails. Default 3. */
  readonly maxStalledCount?: number;
  /** At most `max` jobs per `duration` ms, across every worker of the queue. */
  readonly limiter?: { readonly max: number; readonly duration: number };
  /** Largest encoded arguments or result in bytes. Default 5 MiB. */
  readonly maxPayloadBytes?: number;
  /** Ms close() waits for jobs in flight before handing them back. Default 30,000. */
  readonly graceMs?: number;
  /** Ms to wait for Redis at start. Default 10,000. */
  readonly connectTimeout?: number;
  /** Where the worker logs (one line each); default: nothing. Never given credentials. */
  readonly log?: (line: string) => void;
  /** Ms between heartbeats the dashboard reads (3 missed: shown as gone). Default 2,000. */
  readonly heartbeatInterval?: number;
  /** Serve Prometheus metrics on this port at /metrics (0: any free port). Default: none. */
  readonly metricsPort?: number;
  /** Address the metrics server binds. Default 127.0.0.1. */
  readonly metricsHost?: string;
}

export interface RedisWorker {
  /** `host:pid:n`, also the BullMQ worker name. */
  readonly id: string;
  readonly queue: string;
  /**
   * The process running the tasks: this one with `isolation: 'none'`, else the supervised child
   * (a new one after a crash; undefined while none runs).
   */
  readonly pid: number | undefined;
  /** Jobs finished by this worker (either way). */
  readonly processed: number;
  /** Stops taking jobs, finishes (or after graceMs hands back) those in flight, releases everything. */
  close(): Promise<void>;
  /** Stops the tasks in flight now and puts their jobs back on the queue (close() still ends the worker). */
  handBack(): void;
  /** This worker's metrics in Prometheus' text format (its jobs, and its local pool's tasks). */
  metrics(): string;
  /** Where the metrics are served (with `metricsPort`). */
  readonly metricsUrl: string | undefined;
}

const WORKER_KEYS: readonly (keyof WorkerOptions)[] = [
  'tasks',
  'queue',
  'connection',
  'prefix',
  'concurrency',
  'backend',
  'workers',
  'initializer',
  'initializerArgs',
  'isolation',
  'maxCrashes',
  'lockDuration',
  'stalledInterval',
  'maxStalledCount',
  'limiter',
  'maxPayloadBytes',
  'graceMs',
  'connectTimeout',
  'log',
  'heartbeatInterval',
  'metricsPort',
  'metricsHost',
];

/** Options with every default filled in and every value checked. */
export interface ResolvedWorkerOptions {
  readonly tasks: readonly (string | TaskModuleSpec)[];
  readonly queue: string;
  readonly connection: ConnectionSpec | undefined;
  readonly prefix: string;
  readonly concurrency: number;
  readonly backend: 'async' | 'threads' | 'processes';
  readonly workers: number | undefined;
  readonly initializer: string | undefined;
  readonly initializerArgs: readonly unknown[];
  readonly maxCrashes: number;
  readonly lockDuration: number;
  readonly stalledInterval: number;
  readonly maxStalledCount: number;
  readonly limiter: { readonly max: number; readonly duration: number } | undefined;
  readonly maxPayloadBytes: number;
  readonly graceMs: number;
  readonly connectTimeout: number;
  readonly heartbeatInterval: number | undefined;
  readonly metricsPort: number | undefined;
  readonly metricsHost: string | undefined;
}

let workerCount = 0;

/** A name for a new worker of this process: `host:pid:n`. */
export function nextWorkerNumber(): number {
  return ++workerCount;
}

export async function startWorker(options: WorkerOptions): Promise<RedisWorker> {
  const resolved = resolveWorkerOptions(options);
  const log = options.log ?? (() => {});
  if ((options.isolation ?? 'process') === 'none') {
    const { runWorkerHere } = await import('./local-worker.js');
    return runWorkerHere(resolved, log);
  }
  const { superviseWorker } = await import('./supervisor.js');
  return superviseWorker(resolved, log);
}

export function resolveWorkerOptions(options: WorkerOptions): ResolvedWorkerOptions {
  if (options === null || typeof options !== 'object')
    throw new InvalidArgumentError(
      'startWorker takes an options object, e.g. { tasks: ["./dist/tasks.js"] }',
    );
  assertKnownKeys(options, WORKER_KEYS, 'worker options');
  if (!Array.isArray(options.tasks)) {
    throw new InvalidArgumentError(
      'worker options need tasks: the task modules this worker runs, e.g. { tasks: ["./dist/tasks.js"] }',
    );
  }
  const backend = options.backend ?? 'async';
  if (!['async', 'threads', 'processes'].includes(backend)) {
    throw new InvalidArgumentError(
      `worker backend must be async, threads or processes, got ${String(backend)}`,
    );
  }
  const isolation = options.isolation ?? 'process';
  if (isolation !== 'process' && isolation !== 'none') {
    throw new InvalidArgumentError(`isolation must be 'process' or 'none', got ${String(isolation)}`);
  }
  if (options.initializer !== undefined && typeof options.initializer !== 'string') {
    throw new InvalidArgumentError('initializer must be a task id string, e.g. "tasks#setup"');
  }
  if (options.initializerArgs !== undefined && !Array.isArray(options.initializerArgs)) {
    throw new InvalidArgumentError('initializerArgs must be an array of arguments');
  }
  if (options.log !== undefined && typeof options.log !== 'function') {
    throw new InvalidArgumentError('log must be a function that takes one line');
  }
  return {
    tasks: options.tasks.map((spec) =>
      spec instanceof URL ? spec.href : typeof spec === 'string' ? spec : moduleSpec(spec),
    ),
    queue: validateQueueName(options.queue ?? 'taskmill'),
    connection: options.connection,
    prefix: validatePrefix(options.prefix),
    concurrency: whole('concurrency', options.concurrency, 50),
    backend,
    workers: options.workers === undefined ? undefined : whole('workers', options.workers, 1),
    initializer: options.initializer,
    initializerArgs: options.initializerArgs ?? [],
    maxCrashes: whole('maxCrashes', options.maxCrashes, 2),
    lockDuration: whole('lockDuration', options.lockDuration, 5000),
    stalledInterval: whole('stalledInterval', options.stalledInterval, 2000),
    maxStalledCount: whole('maxStalledCount', options.maxStalledCount, 3),
    limiter: options.limiter === undefined ? undefined : checkLimiter(options.limiter),
    maxPayloadBytes: whole('maxPayloadBytes', options.maxPayloadBytes, DEFAULT_MAX_PAYLOAD),
    graceMs: whole('graceMs', options.graceMs, 30_000, 0),
    connectTimeout: whole('connectTimeout', options.connectTimeout, 10_000),
    heartbeatInterval:
      options.heartbeatInterval === undefined
        ? undefined
        : whole('heartbeatInterval', options.heartbeatInterval, 2000),
    metricsPort:
      options.metricsPort === undefined ? undefined : whole('metricsPort', options.metricsPort, 0, 0),
    metricsHost: options.metricsHost,
  };
}

function moduleSpec(spec: TaskModuleSpec): TaskModuleSpec {
  if (spec === null || typeof spec !== 'object') {
    throw new InvalidArgumentError('each task module is a path, a file URL, or { id, module }');
  }
  assertKnownKeys(spec, ['id', 'module'], 'a task module spec');
  const module = spec.module instanceof URL ? spec.module.href : spec.module;
  return spec.id === undefined ? { module } : { id: spec.id, module };
}

function checkLimiter(limiter: { max: number; duration: number }): { max: number; duration: number } {
  if (limiter !== null && typeof limiter === 'object')
    assertKnownKeys(limiter, ['max', 'duration'], 'limiter');
  if (!(Number.isInteger(limiter?.max) && limiter.max >= 1 && limiter.duration > 0)) {
    throw new InvalidArgumentError(
      'limiter must be { max: jobs >= 1, duration: ms > 0 }, e.g. --rate 100/1000',
    );
  }
  return { max: limiter.max, duration: limiter.duration };
}

function whole(name: string, value: unknown, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number' && Number.isInteger(value) && value >= min) return value;
  throw new InvalidArgumentError(`${name} must be a whole number of at least ${min}, got ${String(value)}`);
}

/** A message with any credentials removed (URLs' passwords, and the password itself). */
export function redactMessage(error: unknown, password: string | undefined): string {
  let text = error instanceof Error ? error.message : String(error);
  text = text.replace(/(rediss?:\/\/[^:@/\s]*):[^@/\s]*@/g, '$1:***@');
  if (password) text = text.split(password).join('***');
  return text;
}
