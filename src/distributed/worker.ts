/**
 * `taskmill worker` as a function: takes jobs from a queue and runs them on a local taskmill
 * Pool (async by default; threads or processes for CPU-bound tasks), but only tasks from the
 * modules it was started with. Payloads are decoded as data with a size limit; results and
 * errors go back through BullMQ; progress goes out as BullMQ progress events.
 *
 * Reliability: locks are short (5 s) and renewed every 2.5 s while a task runs (the heartbeat),
 * and every worker checks for stalled jobs every 2 s, so the jobs of a worker killed with
 * `kill -9` run again elsewhere within ~7 s, while a long task on a live worker is never taken
 * from it. Delivery is at least once: tasks should be idempotent. A synchronous task that
 * blocks the event loop blocks the heartbeat too: run CPU-bound tasks with backend 'threads'.
 *
 * `close()` stops taking jobs and waits for those in flight; after `graceMs` it stops them and
 * hands them back to the queue (another worker runs them).
 */
import { hostname } from 'node:os';
import { type Job as BullJob, UnrecoverableError, WaitingError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { InvalidArgumentError, TaskAbortedError, UnknownTaskError } from '../core/errors.js';
import type { Job } from '../core/job.js';
import type { TaskRef } from '../core/task.js';
import { type MetricsServer, serveMetrics } from '../observe/metrics-server.js';
import { poolFamilies, renderPrometheus } from '../observe/prometheus-text.js';
import { startWorkerSpan } from '../observe/tracing.js';
import { WorkerWatch } from '../observe/worker-watch.js';
import { Pool } from '../pool/pool.js';
import { connect, describeConnection, redisOptions } from './connection.js';
import type { ConnectionSpec } from './connection-spec.js';
import { PayloadTooLargeError } from './errors.js';
import { encodeFailure } from './failure-codec.js';
import { cancelChannel, validatePrefix, validateQueueName } from './queue-keys.js';
import { DEFAULT_MAX_PAYLOAD, type JobData } from './redis-backend.js';
import { TaskAllowList, type TaskModuleSpec } from './task-allow-list.js';
import { checkPayloadSize, decodeValue, encodeValue, type Json } from './wire-codec.js';

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

let workerCount = 0;

export async function startWorker(options: WorkerOptions): Promise<RedisWorker> {
  if (options === null || typeof options !== 'object')
    throw new InvalidArgumentError('startWorker takes an options object');
  const queueName = validateQueueName(options.queue ?? 'taskmill');
  const prefix = validatePrefix(options.prefix);
  const concurrency = whole('concurrency', options.concurrency, 50);
  const lockDuration = whole('lockDuration', options.lockDuration, 5000);
  const stalledInterval = whole('stalledInterval', options.stalledInterval, 2000);
  const maxStalledCount = whole('maxStalledCount', options.maxStalledCount, 3);
  const maxPayload = whole('maxPayloadBytes', options.maxPayloadBytes, DEFAULT_MAX_PAYLOAD);
  const graceMs = whole('graceMs', options.graceMs, 30_000, 0);
  const backend = options.backend ?? 'async';
  if (!['async', 'threads', 'processes'].includes(backend)) {
    throw new InvalidArgumentError(
      `worker backend must be async, threads or processes, got ${String(backend)}`,
    );
  }
  const log = options.log ?? (() => {});
  const allowList = await TaskAllowList.load(
    options.tasks.map((spec) => (spec instanceof URL ? { module: spec } : spec)),
  );
  const initializer = options.initializer !== undefined ? allowList.resolve(options.initializer) : undefined;
  const redis = redisOptions(options.connection);
  const id = `${hostname()}:${process.pid}:${++workerCount}`;
  const client = await connect(redis, `worker:${queueName}`, options.connectTimeout ?? 10_000);
  const subscriber: Redis = client.duplicate();
  subscriber.on('error', () => {});
  const watch = new WorkerWatch({
    client,
    prefix,
    queue: queueName,
    id,
    concurrency,
    backend,
    ...(options.heartbeatInterval !== undefined
      ? { interval: whole('heartbeatInterval', options.heartbeatInterval, 2000) }
      : {}),
  });

  const pool = new Pool({
    backend,
    concurrency,
    metrics: { name: id },
    ...(options.workers !== undefined ? { workers: options.workers } : {}),
    ...(initializer !== undefined ? { initializer, initializerArgs: options.initializerArgs ?? [] } : {}),
  });
  /** Jobs running now, by id: their local job (to cancel) and whether they are being handed back. */
  const running = new Map<string, { job: Job<unknown> | undefined; handBack: boolean }>();
  let processed = 0;

  // Two parameters, not three: BullMQ then makes no AbortController per job (cancelling goes
  // through our own channel and the local pool).
  const processor = async (job: BullJob, token?: string): Promise<Json> => {
    const jobId = job.id ?? '';
    const entry: { job: Job<unknown> | undefined; handBack: boolean } = { job: undefined, handBack: false };
    running.set(jobId, entry);
    watch.begin(jobId, job.name, job.attemptsMade);
    let span: ReturnType<typeof startWorkerSpan>;
    try {
      const { ref, args, timeout } = readJob(job, allowList, maxPayload);
      span = startWorkerSpan((job.data as Partial<JobData> | null)?.traceparent, ref.id, id);
      const call = timeout !== undefined ? ref.with({ timeout }) : ref;
      const submitted =
        span !== undefined ? span.run(() => pool.submit(call, ...args)) : pool.submit(call, ...args);
      entry.job = submitted;
      submitted.onProgress((update) => {
        job.updateProgress(encodeValue(update, 'progress') as object).catch(() => {});
      });
      const value = await submitted.get();
      const encoded = encodeValue(value, `the result of ${ref.id}`);
      checkPayloadSize(encoded, maxPayload, `the result of ${ref.id}`);
      watch.end(jobId, 'completed');
      span?.end();
      return encoded;
    } catch (error) {
      span?.end(error);
      watch.end(jobId, entry.handBack ? 'handed back' : 'failed', describeError(error));
      if (entry.handBack) {
        await job.moveToWait(token);
        throw new WaitingError();
      }
      throw toBullError(error);
    } finally {
      processed++;
      running.delete(jobId);
    }
  };

  const worker = new Worker(queueName, processor, {
    connection: client,
    prefix,
    name: id,
    concurrency,
    lockDuration,
    stalledInterval,
    maxStalledCount,
    ...(options.limiter !== undefined ? { limiter: checkLimiter(options.limiter) } : {}),
    autorun: false,
  });
  worker.on('stalled', () => watch.stalled());
  worker.on('error', (error) => log(`worker ${id}: ${redactMessage(error, redis.password)}`));
  /** Frees everything when the start fails half-way. */
  let metricsServer: MetricsServer | undefined;
  const renderMetrics = () => renderPrometheus([...watch.families(), ...poolFamilies([pool.metrics()])]);
  const release = async () => {
    await metricsServer?.close();
    await watch.stop();
    await worker.close(true).catch(() => {});
    await pool.terminate().catch(() => {});
    subscriber.disconnect();
    client.disconnect();
  };

  try {
    await subscriber.subscribe(cancelChannel(prefix, queueName));
  } catch (error) {
    await release();
    throw error;
  }
  subscriber.on('message', (_channel: string, message: string) => {
    let ids: unknown;
    try {
      ids = JSON.parse(message);
    } catch {
      return;
    }
    if (!Array.isArray(ids)) return;
    for (const jobId of ids) {
      if (typeof jobId !== 'string') continue;
      running.get(jobId)?.job?.cancel('cancelled by the caller');
    }
  });

  const handBackAll = () => {
    for (const entry of running.values()) {
      entry.handBack = true;
      entry.job?.cancel('the worker is stopping: the job goes back to the queue');
    }
  };

  const runLoop = worker
    .run()
    .catch((error: unknown) => log(`worker ${id} stopped: ${redactMessage(error, redis.password)}`));
  try {
    await worker.waitUntilReady();
    await watch.start();
    if (options.metricsPort !== undefined) {
      metricsServer = await serveMetrics({
        port: whole('metricsPort', options.metricsPort, 0, 0),
        ...(options.metricsHost !== undefined ? { host: options.metricsHost } : {}),
        render: renderMetrics,
      });
      log(`worker ${id}: metrics at ${metricsServer.url}`);
    }
  } catch (error) {
    await release();
    throw error;
  }
  log(
    `taskmill worker ${id} on ${describeConnection(redis)} queue ${queueName}: concurrency ${concurrency}, backend ${backend}, tasks ${allowList.describe()}`,
  );

  let closing: Promise<void> | undefined;
  return {
    id,
    queue: queueName,
    get processed() {
      return processed;
    },
    handBack: handBackAll,
    metrics: renderMetrics,
    get metricsUrl() {
      return metricsServer?.url;
    },
    close() {
      closing ??= (async () => {
        log(`worker ${id}: stopping; ${running.size} job(s) in flight`);
        const finished = worker.close();
        let timer: NodeJS.Timeout | undefined;
        if (graceMs > 0 || running.size > 0) {
          await Promise.race([
            finished,
            new Promise<void>((resolve) => {
              timer = setTimeout(() => {
                handBackAll();
                resolve();
              }, graceMs);
            }),
          ]);
        }
        if (timer !== undefined) clearTimeout(timer);
        await finished.catch(() => {});
        await runLoop;
        await metricsServer?.close();
        await watch.stop();
        await pool.terminate().catch(() => {});
        await subscriber.quit().catch(() => subscriber.disconnect());
        await client.quit().catch(() => client.disconnect());
        log(`worker ${id}: stopped after ${processed} job(s)`);
      })();
      return closing;
    },
  };
}

function readJob(
  job: BullJob,
  allowList: TaskAllowList,
  maxPayload: number,
): { ref: TaskRef; args: unknown[]; timeout: number | undefined } {
  const data = job.data as Partial<JobData> | null;
  if (data === null || typeof data !== 'object')
    throw new UnknownTaskError(`unknown task: job ${job.id} carries no task`);
  const ref = allowList.resolve(data.task);
  const encoded = (data.args ?? []) as Json;
  checkPayloadSize(encoded, maxPayload, `the arguments of ${ref.id}`);
  const args = decodeValue(encoded);
  if (!Array.isArray(args)) throw new InvalidArgumentError(`job ${job.id}: args must be an argument list`);
  const timeout = typeof data.timeout === 'number' && data.timeout > 0 ? data.timeout : undefined;
  return { ref, args, timeout };
}

/** Errors that no retry can fix end the job at once; others follow the job's attempts. */
function toBullError(error: unknown): Error {
  const permanent =
    error instanceof UnknownTaskError ||
    error instanceof PayloadTooLargeError ||
    error instanceof TaskAbortedError ||
    error instanceof InvalidArgumentError;
  const out = permanent ? new UnrecoverableError(encodeFailure(error)) : new Error(encodeFailure(error));
  if (error instanceof Error && error.stack !== undefined) out.stack = error.stack;
  return out;
}

function checkLimiter(limiter: { max: number; duration: number }): { max: number; duration: number } {
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

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  const name = error.constructor?.name || error.name;
  return `${name}${code !== undefined ? ` [${String(code)}]` : ''}: ${error.message}`;
}

function redactMessage(error: unknown, password: string | undefined): string {
  let text = error instanceof Error ? error.message : String(error);
  text = text.replace(/(rediss?:\/\/[^:@/\s]*):[^@/\s]*@/g, '$1:***@');
  if (password) text = text.split(password).join('***');
  return text;
}
