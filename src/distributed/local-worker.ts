/**
 * The worker itself, in this process: a BullMQ worker whose processor runs each job's task on
 * a local taskmill Pool (async by default; threads or processes for CPU-bound tasks). Only
 * tasks from the allow-list run; payloads are decoded as data with a size limit; a job that
 * cannot be read fails at once (MalformedJobError); a job the caller cancelled fails unrun; a
 * job suspected of crashing a worker process runs alone (no other task of this worker runs
 * meanwhile), so that if it crashes this one too, the supervisor knows it was that job. A job
 * the caller cancelled is failed unrun by BullMQ itself (job-marks.ts).
 *
 * A chunked job (a batch of a map, `items` in its data) runs every item as its own call on the
 * local pool and returns one value or one encoded error per item, so a failing item fails
 * alone; the job itself fails only when it cannot run at all, was cancelled, or is handed back.
 */
import { hostname } from 'node:os';
import { type Job as BullJob, UnrecoverableError, WaitingError } from 'bullmq';
import type { Redis } from 'ioredis';
import { InvalidArgumentError, TaskAbortedError, UnknownTaskError } from '../core/errors.js';
import type { Job } from '../core/job.js';
import type { TaskRef } from '../core/task.js';
import { type MetricsServer, serveMetrics } from '../observe/metrics-server.js';
import { poolFamilies, renderPrometheus } from '../observe/prometheus-text.js';
import { startWorkerSpan } from '../observe/tracing.js';
import { WorkerWatch } from '../observe/worker-watch.js';
import { Pool } from '../pool/pool.js';
import { missedRun } from '../schedules/redis-schedules.js';
import { TaskmillBullWorker } from './bullmq-worker.js';
import { connect, describeConnection, redisOptions } from './connection.js';
import { MalformedJobError, PayloadTooLargeError } from './errors.js';
import { encodeFailure } from './failure-codec.js';
import { ALONE } from './job-marks.js';
import { cancelChannel, jobKey } from './queue-keys.js';
import type { ChunkProgress, ChunkResult, JobData } from './redis-backend.js';
import { TaskAllowList } from './task-allow-list.js';
import { checkPayloadSize, decodeValue, encodeValue, type Json } from './wire-codec.js';
import { nextWorkerNumber, type RedisWorker, type ResolvedWorkerOptions, redactMessage } from './worker.js';
import { publishWorkerConnection } from './worker-connection.js';

export interface LocalWorker extends RedisWorker {
  /** BullMQ's id for this worker: every lock token it takes starts with `<lockOwner>:`. */
  readonly lockOwner: string;
}

export async function runWorkerHere(
  options: ResolvedWorkerOptions,
  log: (line: string) => void,
  name?: string,
): Promise<LocalWorker> {
  const { queue: queueName, prefix, concurrency, backend, maxPayloadBytes: maxPayload, graceMs } = options;
  const allowList = await TaskAllowList.load(options.tasks);
  const initializer = options.initializer !== undefined ? allowList.resolve(options.initializer) : undefined;
  const redis = redisOptions(options.connection);
  const id = name ?? `${hostname()}:${process.pid}:${nextWorkerNumber()}`;
  const client = await connect(redis, `worker:${queueName}`, options.connectTimeout);
  const subscriber: Redis = client.duplicate();
  subscriber.on('error', () => {});

  const watch = new WorkerWatch({
    client,
    prefix,
    queue: queueName,
    id,
    concurrency,
    backend,
    ...(options.heartbeatInterval !== undefined ? { interval: options.heartbeatInterval } : {}),
  });
  // Tasks that share state across the queue's workers (the downloader's per-host limits) use
  // this worker's own Redis; the local pool's threads and processes inherit it.
  publishWorkerConnection(options.connection, prefix);
  const pool = new Pool({
    backend,
    concurrency,
    ...(options.workers !== undefined ? { workers: options.workers } : {}),
    ...(initializer !== undefined ? { initializer, initializerArgs: options.initializerArgs } : {}),
    metrics: { name: id },
  });
  /** Jobs running now, by id: their local jobs (to cancel; several for a chunk) and whether they are being handed back. */
  const running = new Map<string, RunningEntry>();
  /**
   * Cancels that came for jobs not running here (yet): a job this worker took just before its
   * caller marked it, whose processor starts a moment after the cancel message, must not run.
   */
  const earlyCancels = new Map<string, number>();
  const gate = new AloneGate();
  let processed = 0;

  const run = async (job: BullJob, token: string | undefined): Promise<Json> => {
    const jobId = job.id ?? '';
    const entry: RunningEntry = { jobs: [], handBack: false, cancelled: earlyCancels.delete(jobId) };
    running.set(jobId, entry);
    watch.begin(jobId, job.name, job.attemptsMade);
    let span: ReturnType<typeof startWorkerSpan>;
    try {
      const { ref, args, chunk, spread, timeout } = readJob(job, allowList, maxPayload);
      span = startWorkerSpan((job.data as Partial<JobData> | null)?.traceparent, ref.id, id);
      const call = timeout !== undefined ? ref.with({ timeout }) : ref;
      if (entry.cancelled) throw new TaskAbortedError(ref.id, 'cancelled by the caller');
      if (chunk !== undefined) {
        const encoded = await runChunk(job, call, chunk, spread, entry);
        if (entry.handBack) throw new TaskAbortedError(ref.id, 'the worker is stopping');
        if (entry.cancelled) throw new TaskAbortedError(ref.id, 'cancelled by the caller');
        checkPayloadSize(encoded, maxPayload, `the results of a chunk of ${ref.id}`);
        watch.end(jobId, 'completed');
        span?.end();
        return encoded;
      }
      const submitted =
        span !== undefined ? span.run(() => pool.submit(call, ...args)) : pool.submit(call, ...args);
      entry.jobs.push(submitted);
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

  /** Runs a chunk's items, each as its own call; every outcome is kept (a failing item fails alone). */
  const runChunk = async (
    job: BullJob,
    call: TaskRef,
    items: unknown[],
    spread: boolean,
    entry: RunningEntry,
  ): Promise<Json> => {
    const started = performance.now();
    const count = items.length;
    const values: unknown[] = new Array(count);
    const errors: [number, string][] = [];
    const settled: Promise<void>[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const item = items[i];
      const submitted = spread ? pool.submit(call, ...(item as unknown[])) : pool.submit(call, item);
      entry.jobs.push(submitted);
      submitted.onProgress((update) => {
        const report: ChunkProgress = { $item: i, update };
        job.updateProgress(encodeValue(report, 'progress') as object).catch(() => {});
      });
      settled[i] = submitted.get().then(
        (value) => {
          values[i] = value;
        },
        (error: unknown) => {
          errors.push([i, encodeFailure(error)]);
        },
      );
    }
    await Promise.all(settled);
    errors.sort((a, b) => a[0] - b[0]);
    const result: ChunkResult = { values, busyMs: performance.now() - started };
    return encodeValue(
      errors.length > 0 ? { ...result, errors } : result,
      `the results of a chunk of ${call.id}`,
    );
  };

  // Two parameters, not three: BullMQ then makes no AbortController per job (cancelling goes
  // through our own channel and the local pool).
  const processor = async (job: BullJob, token?: string): Promise<Json> => {
    // A scheduled run whose window passed before any worker took it, with policy 'skip'.
    const skipped = await missedRun(job.id, job.data);
    if (skipped !== undefined) {
      log(
        `worker ${id}: job ${job.id} not run: its window passed before a worker took it (schedule ${skipped.schedule}, missed: 'skip')`,
      );
      return skipped;
    }
    const crashed = (job.data as Partial<JobData> | null)?.crashed;
    if (crashed === undefined) {
      const wait = gate.shared();
      if (wait !== undefined) await wait;
      try {
        return await run(job, token);
      } finally {
        gate.leaveShared();
      }
    }
    await gate.alone();
    try {
      // On Redis before the task starts: if it takes this process down, the supervisor knows
      // it was this job and no other.
      await client.hset(jobKey(prefix, queueName, job.id ?? ''), ALONE, token ?? '');
      log(`worker ${id}: job ${job.id} runs alone (worker processes died ${crashed} time(s) while it ran)`);
      return await run(job, token);
    } finally {
      gate.leaveAlone();
    }
  };

  const worker = new TaskmillBullWorker(queueName, processor, {
    connection: client,
    prefix,
    name: id,
    concurrency,
    lockDuration: options.lockDuration,
    stalledInterval: options.stalledInterval,
    maxStalledCount: options.maxStalledCount,
    ...(options.limiter !== undefined ? { limiter: options.limiter } : {}),
    autorun: false,
  });
  worker.on('error', (error) => log(`worker ${id}: ${redactMessage(error, redis.password)}`));
  worker.on('stalled', () => watch.stalled());
  let metricsServer: MetricsServer | undefined;
  const renderMetrics = () => renderPrometheus([...watch.families(), ...poolFamilies([pool.metrics()])]);
  /** Frees everything when the start fails half-way. */
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
    // Early cancels are kept a minute (a job's processor starts well within that of its take).
    const stale = Date.now() - 60_000;
    for (const [jobId, at] of earlyCancels) {
      if (at > stale && earlyCancels.size <= 100_000) break;
      earlyCancels.delete(jobId);
    }
    for (const jobId of ids) {
      if (typeof jobId !== 'string') continue;
      const entry = running.get(jobId);
      if (entry === undefined) {
        earlyCancels.set(jobId, Date.now());
        continue;
      }
      entry.cancelled = true;
      for (const local of entry.jobs) local.cancel('cancelled by the caller');
    }
  });

  const handBackAll = () => {
    for (const entry of running.values()) {
      entry.handBack = true;
      for (const local of entry.jobs) local.cancel('the worker is stopping: the job goes back to the queue');
    }
  };

  const runLoop = worker
    .run()
    .catch((error: unknown) => log(`worker ${id} stopped: ${redactMessage(error, redis.password)}`));
  try {
    await worker.waitUntilReady();
  } catch (error) {
    await release();
    throw error;
  }
  try {
    await watch.start();
    if (options.metricsPort !== undefined) {
      metricsServer = await serveMetrics({
        port: options.metricsPort,
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
    lockOwner: worker.id,
    pid: process.pid,
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

interface RunningEntry {
  /** The local calls running the job: one, or a chunk's items. */
  readonly jobs: Job<unknown>[];
  handBack: boolean;
  /** The caller cancelled the job (a chunk then fails as a whole). */
  cancelled: boolean;
}

/**
 * Lets jobs suspected of crashing the process run alone: one waits until the tasks running
 * now finish, and no other starts until it is done. In the common case (nothing suspected)
 * entering costs a counter, not a promise.
 */
class AloneGate {
  #running = 0;
  #alone = false;
  readonly #waitingAlone: (() => void)[] = [];
  readonly #waitingShared: (() => void)[] = [];

  shared(): Promise<void> | undefined {
    if (!this.#alone && this.#waitingAlone.length === 0) {
      this.#running++;
      return undefined;
    }
    return new Promise((resolve) => this.#waitingShared.push(resolve));
  }

  alone(): Promise<void> {
    return new Promise((resolve) => {
      this.#waitingAlone.push(resolve);
      this.#next();
    });
  }

  leaveShared(): void {
    this.#running--;
    this.#next();
  }

  leaveAlone(): void {
    this.#alone = false;
    this.#next();
  }

  #next(): void {
    if (this.#alone) return;
    const alone = this.#waitingAlone.shift();
    if (alone !== undefined) {
      if (this.#running === 0) {
        this.#alone = true;
        alone();
      } else this.#waitingAlone.unshift(alone);
      return;
    }
    for (const resolve of this.#waitingShared.splice(0)) {
      this.#running++;
      resolve();
    }
  }
}

function readJob(
  job: BullJob,
  allowList: TaskAllowList,
  maxPayload: number,
): {
  ref: TaskRef;
  args: unknown[];
  chunk: unknown[] | undefined;
  spread: boolean;
  timeout: number | undefined;
} {
  const data = job.data as Partial<JobData> | null;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new MalformedJobError(
      `job ${job.id} cannot be run: its data must be { task: 'module#name', args: [...] }, got ${describe(data)}`,
    );
  }
  const ref = allowList.resolve(data.task);
  const timeout = typeof data.timeout === 'number' && data.timeout > 0 ? data.timeout : undefined;
  if (data.items !== undefined) {
    checkPayloadSize(data.items as Json, maxPayload, `the arguments of a chunk of ${ref.id}`);
    const items = decodeValue(data.items as Json);
    const spread = data.spread === true;
    if (!Array.isArray(items) || (spread && !items.every(Array.isArray))) {
      throw new MalformedJobError(
        `job ${job.id} (${ref.id}) cannot be run: the items of a chunk must be a list${spread ? ' of argument lists' : ''}, got ${describe(items)}`,
      );
    }
    return { ref, args: [], chunk: items, spread, timeout };
  }
  if (data.args === undefined) {
    throw new MalformedJobError(
      `job ${job.id} (${ref.id}) cannot be run: its data has no args; give the argument list, e.g. { task: '${ref.id}', args: [] }`,
    );
  }
  const encoded = data.args as Json;
  checkPayloadSize(encoded, maxPayload, `the arguments of ${ref.id}`);
  const args = decodeValue(encoded);
  if (!Array.isArray(args)) {
    throw new MalformedJobError(
      `job ${job.id} (${ref.id}) cannot be run: args must be an argument list (an array), got ${describe(args)}`,
    );
  }
  return { ref, args, chunk: undefined, spread: false, timeout };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value).slice(0, 50)}`;
}

/** Errors that no retry can fix end the job at once; others follow the job's attempts. */
function toBullError(error: unknown): Error {
  const permanent =
    error instanceof UnknownTaskError ||
    error instanceof PayloadTooLargeError ||
    error instanceof MalformedJobError ||
    error instanceof TaskAbortedError ||
    error instanceof InvalidArgumentError;
  const out = permanent ? new UnrecoverableError(encodeFailure(error)) : new Error(encodeFailure(error));
  if (error instanceof Error && error.stack !== undefined) out.stack = error.stack;
  return out;
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  const name = error.constructor?.name || error.name;
  return `${name}${code !== undefined ? ` [${String(code)}]` : ''}: ${error.message}`;
}
