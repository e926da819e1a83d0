/**
 * The `redis` backend: the Pool API over a BullMQ queue. Each call becomes one job whose data is
 * `{ task: 'moduleId#name', args }` (data, never code); calls made in the same tick go to Redis
 * in one addBulk. One event-stream reader and a map of pending jobs collect every result and
 * progress report. Cancelling removes a waiting job and asks the workers, over pub/sub, to
 * stop a running one. A periodic check (and one after every reconnect) finds pending jobs
 * whose key vanished (Redis restarted empty) and fails them with JobLostError, so callers
 * never hang; it also settles jobs whose event was missed.
 *
 * A map (map, starmap, mapSettled, imap, imapUnordered) goes out in chunked jobs: the pool's map
 * cuts its input into batches sized from measured task time (map-run.ts), and each batch is one
 * job whose data carries every item (`items`). The worker runs the items one by one and returns
 * one value or one encoded error per item, with the time the chunk ran (`busyMs`, which the
 * sizing reads). A chunk is one job to BullMQ: a killed worker's chunk is recovered as a stalled
 * job and runs again elsewhere, and the caller takes its results once, from the one completion.
 *
 * A call with a timeout also has a deadline here, on the caller's side: the worker enforces the
 * timeout, but a worker that died cannot report it. Counted from the moment a worker took the
 * job (its `active` event), the call rejects with TaskTimeoutError once the timeout and a grace
 * have passed, and the job is cancelled: removed if it waits, stopped if it runs, and marked so
 * that a worker taking it later fails it unrun.
 */
import { randomUUID } from 'node:crypto';
import { type JobsOptions, Queue } from 'bullmq';
import type { Redis, RedisOptions } from 'ioredis';
import type {
  Backend,
  BackendOptions,
  EnqueueOptions,
  ExecRequest,
  ExecResult,
  RemoteJob,
} from '../core/backend.js';
import {
  InvalidArgumentError,
  JobLostError,
  PoolClosedError,
  TaskAbortedError,
  TaskTimeoutError,
} from '../core/errors.js';
import { type LongTimer, startTimer } from '../core/long-timer.js';
import { isTaskRef } from '../core/task.js';
import type { ProgressUpdate } from '../core/task-context.js';
import type { RedisScheduleAccess } from '../schedules/redis-schedules.js';
import { connect, redisOptions } from './connection.js';
import type { ConnectionSpec } from './connection-spec.js';
import { MalformedJobError } from './errors.js';
import { EventReader, type QueueEvent } from './event-reader.js';
import { decodeFailure, encodeFailure } from './failure-codec.js';
import { DEFERRED_FAILURE, MARK_IF_EXISTS } from './job-marks.js';
import { DEFAULT_KEEP_COMPLETED, DEFAULT_KEEP_FAILED, keepJobs, toJobOptions } from './job-options.js';
import { cancelChannel, eventsKey, jobKey, validatePrefix, validateQueueName } from './queue-keys.js';
import { checkPayloadSize, decodeValue, encodeValue, type Json } from './wire-codec.js';

export const DEFAULT_MAX_PAYLOAD = 5 * 1024 * 1024;
const WANTED_EVENTS = ['completed', 'failed', 'progress', 'removed'];
/** Ms the caller's deadline waits past a call's timeout for the worker's own verdict. */
export const CALLER_GRACE_MS = 500;

/** Job data as it sits in Redis. */
export interface JobData {
  /** Stable task id, `moduleId#name`. */
  readonly task: string;
  /** The argument list, encoded by wire-codec (absent on a chunk of a map, which has `items`). */
  readonly args?: Json;
  /** Ms the worker lets the task run. */
  readonly timeout?: number;
  /** W3C traceparent of the caller's span, when tracing is on. */
  readonly traceparent?: string;
  /**
   * A chunk of a map instead of `args`: the encoded list of its items, each an argument list
   * (`spread`) or a single argument.
   */
  readonly items?: Json;
  readonly spread?: boolean;
  /**
   * Crashes of a worker process this job was present at (set by the supervisor that recovered
   * it): the next worker runs it alone.
   */
  readonly crashed?: number;
}

/** Largest number of items one chunked job carries. */
export const MAX_CHUNK_ITEMS = 1000;
/**
 * Items a map takes as running at once on the workers, for chunk sizing (a fair share of the
 * input per worker slot): the caller cannot count the workers' slots, so a typical figure
 * (two workers of 32); chunk sizes follow measured task time whatever it is.
 */
export const MAP_PARALLELISM = 64;

/** What a worker returns for a chunk: per-item values, per-item encoded failures, time run. */
export interface ChunkResult {
  readonly values: unknown[];
  readonly errors?: [index: number, failure: string][];
  readonly busyMs: number;
}

/** A chunk item's progress report, as a worker sends it. */
export interface ChunkProgress {
  readonly $item: number;
  readonly update: ProgressUpdate;
}

interface Pending {
  readonly id: string;
  readonly task: string;
  readonly firstIndex: number;
  readonly onProgress: ((index: number, update: ProgressUpdate) => void) | undefined;
  readonly request: ExecRequest | undefined;
  settle(value: unknown, error: Error | undefined): void;
  /** On Redis for sure (the add returned), so a missing key means the job is lost. */
  added: boolean;
  /** Items of a chunked job (undefined for a single call). */
  readonly chunk?: number;
  /** The call's timeout, enforced here too once a worker has taken the job. */
  readonly timeout?: number;
  deadline?: LongTimer;
}

export async function createRedisBackend(options: BackendOptions): Promise<Backend> {
  const backend = new RedisBackend(options);
  await backend.start();
  return backend;
}

export class RedisBackend implements Backend {
  readonly name = 'redis' as const;
  readonly slots: number;
  readonly parallelism: number;
  readonly maxBatch = MAX_CHUNK_ITEMS;
  readonly acceptsFunctions = false;
  readonly copiesArguments = true;
  readonly queueName: string;
  readonly prefix: string;
  readonly #redis: RedisOptions;
  readonly #maxPayload: number;
  readonly #baseJob: JobsOptions;
  readonly #lostInterval: number;
  readonly #connectTimeout: number;
  readonly #idPrefix = `tm-${randomUUID().slice(0, 12)}-`;
  #seq = 0;
  #queue: Queue | undefined;
  #client: Redis | undefined;
  #reader: EventReader | undefined;
  readonly #pending = new Map<string, Pending[]>();
  readonly #byRequest = new Map<ExecRequest, Pending>();
  #outbox: { name: string; data: JobData; opts: JobsOptions; pending: Pending }[] = [];
  #flushScheduled = false;
  #sweepTimer: NodeJS.Timeout | undefined;
  #sweeping = false;
  #cancelIds: string[] = [];
  #cancelTasks: string[] = [];
  /** Pending calls with a timeout whose deadline has not started (no worker took them yet). */
  readonly #timed = new Map<string, Pending>();
  #closed = false;

  constructor(options: BackendOptions) {
    this.queueName = validateQueueName(options.queue ?? 'taskmill');
    this.prefix = validatePrefix(options.prefix);
    this.#redis = redisOptions(options.connection as ConnectionSpec | undefined);
    this.slots = positive('inFlight', options.inFlight, 5000);
    this.parallelism = Math.min(this.slots, MAP_PARALLELISM);
    this.#maxPayload = positive('maxPayloadBytes', options.maxPayloadBytes, DEFAULT_MAX_PAYLOAD);
    this.#lostInterval = positive('lostJobCheckInterval', options.lostJobCheckInterval, 5000);
    this.#connectTimeout = positive('connectTimeout', options.connectTimeout, 10_000);
    this.#baseJob = {
      removeOnComplete: toKeep(keepJobs('keepCompleted', options.keepCompleted, DEFAULT_KEEP_COMPLETED)),
      removeOnFail: toKeep(keepJobs('keepFailed', options.keepFailed, DEFAULT_KEEP_FAILED)),
    };
  }

  /** Connects (failing fast on bad credentials), positions the event reader, starts the lost-job check. */
  async start(): Promise<void> {
    this.#client = await connect(this.#redis, `caller:${this.queueName}`, this.#connectTimeout);
    const readerClient = this.#client.duplicate();
    readerClient.on('error', () => {});
    // A longer event stream than BullMQ's 10,000, so a reader that lags behind a big map does
    // not miss results (the lost-job check would still find them, but later).
    this.#queue = new Queue(this.queueName, {
      connection: this.#client,
      prefix: this.prefix,
      streams: { events: { maxLen: 50_000 } },
    });
    this.#queue.on('error', () => {});
    this.#reader = new EventReader(
      readerClient,
      eventsKey(this.prefix, this.queueName),
      WANTED_EVENTS,
      (event) => this.#onEvent(event),
    );
    await this.#reader.start();
    // After a reconnect, look for jobs that did not survive (Redis restarted empty) at once.
    let disconnected = false;
    this.#client.on('close', () => {
      disconnected = true;
    });
    this.#client.on('ready', () => {
      if (disconnected) {
        disconnected = false;
        void this.#sweep();
      }
    });
    this.#sweepTimer = setInterval(() => void this.#sweep(), this.#lostInterval);
    this.#sweepTimer.unref();
  }

  exec(request: ExecRequest): Promise<ExecResult> {
    return new Promise<ExecResult>((resolve, reject) => {
      try {
        const chunk = request.mapBatch === true;
        const data = chunk ? this.#encodeChunk(request) : this.#encode(request);
        const count = chunk ? (request.singleArgs ?? request.items).length : 1;
        const id = request.jobId ?? this.#idPrefix + ++this.#seq;
        const pending: Pending = {
          id,
          task: request.taskName,
          firstIndex: request.firstIndex,
          onProgress: undefined,
          request,
          added: false,
          ...(chunk ? { chunk: count } : {}),
          // A chunk's items run one after another: its deadline covers all of them.
          ...(request.timeout !== undefined ? { timeout: request.timeout * count } : {}),
          settle: (value, error) => {
            this.#byRequest.delete(request);
            if (pending.timeout !== undefined) {
              pending.deadline?.clear();
              this.#timed.delete(id);
              if (this.#timed.size === 0) this.#reader?.unwant('active');
            }
            if (error !== undefined && failsWholeRequest(error)) reject(error);
            else if (!chunk) {
              if (error === undefined) resolve({ values: [value] });
              else resolve({ values: [undefined], errors: new Map([[0, error]]) });
            } else if (error !== undefined) {
              // The chunk failed as a whole (its task is unknown, its data unreadable): every item with it.
              const errors = new Map<number, Error>();
              for (let i = 0; i < count; i++) errors.set(i, error);
              resolve({ values: new Array(count), errors });
            } else {
              try {
                resolve(readChunkResult(value, count, request.taskName));
              } catch (bad) {
                reject(bad);
              }
            }
          },
        };
        this.#byRequest.set(request, pending);
        this.#track(pending);
        if (pending.timeout !== undefined) {
          this.#timed.set(id, pending);
          this.#reader?.want('active');
        }
        this.#outbox.push({ name: data.task, data, opts: { ...this.#baseJob, jobId: id }, pending });
        if (!this.#flushScheduled) {
          this.#flushScheduled = true;
          setImmediate(() => this.#flush());
        }
      } catch (error) {
        reject(error);
      }
    });
  }

  async enqueue(request: ExecRequest, options: EnqueueOptions): Promise<RemoteJob> {
    const data = this.#encode(request, options.timeout);
    const opts = toJobOptions(options, {
      ...this.#baseJob,
      jobId: options.jobId ?? this.#idPrefix + ++this.#seq,
    });
    const queue = this.#open();
    const id = opts.jobId as string;
    const remote = this.#remote(id, request.taskName, request.firstIndex, request.onProgress);
    const job = await queue.add(data.task, data, opts);
    if (job.id !== undefined && job.id !== id)
      throw new InvalidArgumentError(`BullMQ gave job id ${job.id}, not ${id}`);
    this.#markAdded(id);
    // A jobId that already existed may have finished long ago: look once.
    if (options.jobId !== undefined) void this.#check([id]);
    return remote;
  }

  follow(id: string, onProgress: (update: ProgressUpdate) => void): RemoteJob {
    const remote = this.#remote(id, 'remote job', 0, (_i, update) => onProgress(update));
    this.#markAdded(id);
    void this.#check([id]);
    return remote;
  }

  /** @internal The queue and its connection, for schedules (src/schedules/redis-schedules.ts). */
  scheduleAccess(): RedisScheduleAccess {
    this.#open();
    const closed = () =>
      new PoolClosedError(
        'the pool is closed; its schedules live on in Redis: look after them from a new Pool, openQueueAdmin().schedules or `taskmill queue schedules`',
      );
    const backend = this;
    return {
      get queue(): Queue {
        if (backend.#closed || backend.#queue === undefined) throw closed();
        return backend.#queue;
      },
      get client(): Redis {
        if (backend.#closed || backend.#client === undefined) throw closed();
        return backend.#client;
      },
      prefix: this.prefix,
      queueName: this.queueName,
      jobOptions: this.#baseJob,
      maxPayloadBytes: this.#maxPayload,
    };
  }

  cancel(request: ExecRequest, reason: Error): void {
    const pending = this.#byRequest.get(request);
    if (pending === undefined) return;
    this.#untrack(pending);
    pending.settle(undefined, reason);
    // A job that other calls (the same jobId) still wait for is left to run for them.
    if (!this.#pending.has(pending.id)) this.#cancelRemote(pending.id, pending.task);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#sweepTimer !== undefined) clearInterval(this.#sweepTimer);
    const reason = new PoolClosedError(
      'the pool closed before this job finished; the job stays on the queue: follow it with pool.job(id) from another pool',
    );
    for (const list of [...this.#pending.values()]) for (const p of list) p.settle(undefined, reason);
    this.#pending.clear();
    await this.#flushCancels();
    await this.#reader?.close();
    await this.#queue?.close().catch(() => {});
    this.#client?.disconnect();
  }

  async terminate(reason: Error): Promise<void> {
    for (const [request, pending] of [...this.#byRequest]) {
      this.#byRequest.delete(request);
      this.#untrack(pending);
      pending.settle(undefined, reason);
      this.#cancelIds.push(pending.id);
      this.#cancelTasks.push(pending.task);
    }
    await this.close();
  }

  /** @internal The caller's connection (workflows keep their state beside the queue). */
  get redisClient(): Redis | undefined {
    return this.#client;
  }

  // ---- internals ---------------------------------------------------------------------------

  #open(): Queue {
    if (this.#closed || this.#queue === undefined) throw new PoolClosedError();
    return this.#queue;
  }

  #encode(request: ExecRequest, timeout = request.timeout): JobData {
    if (!isTaskRef(request.task)) {
      throw new InvalidArgumentError(
        'the redis backend runs task references only (tasks(url).name), not functions',
      );
    }
    const args = encodeValue(request.items[0] ?? [], 'args');
    checkPayloadSize(args, this.#maxPayload, `the arguments of ${request.taskName}`);
    const data: JobData =
      timeout === undefined ? { task: request.task.id, args } : { task: request.task.id, args, timeout };
    return request.traceparent === undefined ? data : { ...data, traceparent: request.traceparent };
  }

  #encodeChunk(request: ExecRequest): JobData {
    if (!isTaskRef(request.task)) {
      throw new InvalidArgumentError(
        'the redis backend runs task references only (tasks(url).name), not functions',
      );
    }
    const spread = request.singleArgs === undefined;
    const items = encodeValue(spread ? request.items : request.singleArgs, 'items');
    checkPayloadSize(items, this.#maxPayload, `the arguments of a chunk of ${request.taskName}`);
    const data: JobData = { task: request.task.id, items, spread };
    const timed = request.timeout === undefined ? data : { ...data, timeout: request.timeout };
    return request.traceparent === undefined ? timed : { ...timed, traceparent: request.traceparent };
  }

  #remote(
    id: string,
    task: string,
    firstIndex: number,
    onProgress: ((index: number, update: ProgressUpdate) => void) | undefined,
  ): RemoteJob {
    let settleFn!: (value: unknown, error: Error | undefined) => void;
    const result = new Promise<unknown>((resolve, reject) => {
      settleFn = (value, error) => (error === undefined ? resolve(value) : reject(error));
    });
    result.catch(() => {});
    const pending: Pending = {
      id,
      task,
      firstIndex,
      onProgress,
      request: undefined,
      added: false,
      settle: settleFn,
    };
    this.#track(pending);
    return {
      id,
      task,
      result,
      cancel: (reason) => {
        if (!this.#untrack(pending)) return;
        pending.settle(undefined, reason);
        this.#cancelRemote(id, task);
      },
    };
  }

  #track(pending: Pending): void {
    const list = this.#pending.get(pending.id);
    if (list === undefined) this.#pending.set(pending.id, [pending]);
    else list.push(pending);
  }

  #untrack(pending: Pending): boolean {
    const list = this.#pending.get(pending.id);
    if (list === undefined) return false;
    const at = list.indexOf(pending);
    if (at < 0) return false;
    list.splice(at, 1);
    if (list.length === 0) this.#pending.delete(pending.id);
    return true;
  }

  #markAdded(id: string): void {
    for (const p of this.#pending.get(id) ?? []) p.added = true;
  }

  #flush(): void {
    this.#flushScheduled = false;
    const batch = this.#outbox.filter((item) => this.#pending.has(item.pending.id));
    this.#outbox = [];
    if (batch.length === 0) return;
    let queue: Queue;
    try {
      queue = this.#open();
    } catch (error) {
      for (const item of batch) this.#fail(item.pending, error as Error);
      return;
    }
    queue.addBulk(batch.map(({ name, data, opts }) => ({ name, data, opts }))).then(
      () => {
        const named: string[] = [];
        for (const item of batch) {
          item.pending.added = true;
          const request = item.pending.request;
          // A job named by its caller may have been there (and finished) before: look once.
          if (request?.jobId !== undefined && request.jobMayExist !== false) named.push(item.pending.id);
        }
        if (named.length > 0) void this.#check(named).catch(() => {});
      },
      (error: unknown) => {
        for (const item of batch)
          this.#fail(item.pending, error instanceof Error ? error : new Error(String(error)));
      },
    );
  }

  #fail(pending: Pending, error: Error): void {
    if (!this.#untrack(pending)) return;
    if (pending.request !== undefined) this.#byRequest.delete(pending.request);
    // Not a task error: the request as such failed (e.g. Redis refused the add).
    pending.settle(undefined, new JobLostError([pending.id], `it could not be enqueued: ${error.message}`));
  }

  #onEvent(event: QueueEvent): void {
    const id = event.jobId;
    if (id === undefined) return;
    const list = this.#pending.get(id);
    if (list === undefined) return;
    switch (event.event) {
      case 'active': {
        const timed = this.#timed.get(id);
        if (timed === undefined || timed.deadline !== undefined || timed.timeout === undefined) return;
        const timeout = timed.timeout;
        timed.deadline = startTimer(() => {
          if (!this.#untrack(timed)) return;
          timed.settle(undefined, new TaskTimeoutError(timed.task, timeout));
          this.#cancelRemote(id, timed.task);
        }, timeout + CALLER_GRACE_MS);
        return;
      }
      case 'completed':
        this.#complete(id, list, event.fields.returnvalue, undefined);
        return;
      case 'failed':
        this.#complete(id, list, undefined, event.fields.failedReason ?? '');
        return;
      case 'progress': {
        let update: ProgressUpdate;
        try {
          update = decodeValue(JSON.parse(event.fields.data ?? 'null')) as ProgressUpdate;
        } catch {
          return;
        }
        if (update === null || typeof update !== 'object') update = { data: update };
        for (const p of list) {
          if (p.chunk !== undefined) {
            const item = update as Partial<ChunkProgress>;
            if (typeof item.$item === 'number' && item.update !== undefined)
              p.request?.onProgress?.(p.firstIndex + item.$item, item.update);
          } else if (p.request !== undefined) p.request.onProgress?.(p.firstIndex, update);
          else p.onProgress?.(p.firstIndex, update);
        }
        return;
      }
      case 'removed':
        this.#lose(id, list, 'it was removed from the queue');
        return;
    }
  }

  #complete(
    id: string,
    list: Pending[],
    returnvalue: string | undefined,
    failedReason: string | undefined,
  ): void {
    this.#pending.delete(id);
    let value: unknown;
    let error: Error | undefined;
    if (failedReason !== undefined) error = decodeFailure(failedReason);
    else {
      try {
        value = decodeValue(JSON.parse(returnvalue ?? 'null'));
      } catch (e) {
        error = e instanceof Error ? e : new Error(String(e));
      }
    }
    for (const p of list) p.settle(value, error);
  }

  #lose(id: string, list: Pending[], why: string): void {
    this.#pending.delete(id);
    const error = new JobLostError([id], why);
    for (const p of list) {
      if (p.request !== undefined) this.#byRequest.delete(p.request);
      p.settle(undefined, error);
    }
  }

  /** Checks pending jobs that Redis acknowledged: settles finished ones, fails vanished ones. */
  async #sweep(): Promise<void> {
    if (this.#sweeping || this.#closed) return;
    this.#sweeping = true;
    try {
      const ids: string[] = [];
      for (const [id, list] of this.#pending) if (list.some((p) => p.added)) ids.push(id);
      for (let i = 0; i < ids.length; i += 1000) await this.#check(ids.slice(i, i + 1000));
    } catch {
      // Redis is away: the next sweep (or the reconnect) tries again.
    } finally {
      this.#sweeping = false;
    }
  }

  async #check(ids: string[]): Promise<void> {
    const client = this.#client;
    if (client === undefined || ids.length === 0) return;
    const pipeline = client.pipeline();
    for (const id of ids) {
      pipeline.hmget(
        jobKey(this.prefix, this.queueName, id),
        'timestamp',
        'finishedOn',
        'returnvalue',
        'failedReason',
      );
    }
    const replies = (await pipeline.exec()) ?? [];
    ids.forEach((id, i) => {
      const [error, fields] = replies[i] ?? [null, null];
      if (error !== null || !Array.isArray(fields)) return;
      const list = this.#pending.get(id);
      if (list === undefined) return;
      const [timestamp, finishedOn, returnvalue, failedReason] = fields as (string | null)[];
      if (timestamp === null) {
        this.#lose(
          id,
          list,
          `its key is gone from Redis (${this.queueName}): Redis restarted without persistence, or the job was removed or expired`,
        );
      } else if (finishedOn !== null) {
        this.#complete(
          id,
          list,
          returnvalue ?? undefined,
          returnvalue === null ? (failedReason ?? '') : undefined,
        );
      }
    });
  }

  #cancelRemote(id: string, task: string): void {
    this.#cancelIds.push(id);
    this.#cancelTasks.push(task);
    if (this.#cancelIds.length === 1) setImmediate(() => void this.#flushCancels());
  }

  async #flushCancels(): Promise<void> {
    const ids = this.#cancelIds;
    const names = this.#cancelTasks;
    this.#cancelIds = [];
    this.#cancelTasks = [];
    const client = this.#client;
    const queue = this.#queue;
    if (ids.length === 0 || client === undefined || queue === undefined) return;
    try {
      // Running jobs: their workers fire the task's signal. Waiting ones: removed outright.
      // Both marked first, so that a worker taking one at this very moment fails it unrun.
      const marked = client.pipeline();
      ids.forEach((id, i) => {
        const failure = encodeFailure(
          new TaskAbortedError(names[i] ?? id, 'the caller cancelled it (or gave up waiting) before it ran'),
        );
        marked.eval(MARK_IF_EXISTS, 1, jobKey(this.prefix, this.queueName, id), DEFERRED_FAILURE, failure);
      });
      await marked.exec();
      await client.publish(cancelChannel(this.prefix, this.queueName), JSON.stringify(ids));
      await Promise.all(ids.map((id) => queue.remove(id).catch(() => 0)));
    } catch {
      // Redis away: the jobs run and their results are ignored.
    }
  }
}

/**
 * As the Backend contract says: the request as such fails (its promise rejects) when it was
 * cancelled, timed out, lost or cut short by the pool closing; a task's own error fails its item.
 */
function failsWholeRequest(error: Error): boolean {
  return (
    error instanceof JobLostError ||
    error instanceof PoolClosedError ||
    error instanceof TaskAbortedError ||
    error instanceof TaskTimeoutError ||
    error.name === 'TaskAbortedError' ||
    error.name === 'TaskTimeoutError'
  );
}

/** A chunk's outcome as the pool takes it (a result of another shape fails the chunk: MalformedJobError). */
function readChunkResult(value: unknown, count: number, task: string): ExecResult {
  const result = value as Partial<ChunkResult> | null;
  if (
    result === null ||
    typeof result !== 'object' ||
    !Array.isArray(result.values) ||
    result.values.length !== count
  ) {
    throw new MalformedJobError(
      `a chunk of ${task} came back without its ${count} results: is every worker of this queue running this version of taskmill?`,
    );
  }
  let errors: Map<number, Error> | undefined;
  if (Array.isArray(result.errors) && result.errors.length > 0) {
    errors = new Map();
    for (const [index, failure] of result.errors) errors.set(index, decodeFailure(failure));
  }
  const out: { values: unknown[]; errors?: Map<number, Error>; busyMs?: number } = { values: result.values };
  if (errors !== undefined) out.errors = errors;
  if (typeof result.busyMs === 'number') out.busyMs = result.busyMs;
  return out;
}

/** BullMQ's form: keep everything when neither bound is given. */
export function toKeep(keep: { age?: number; count?: number }): JobsOptions['removeOnComplete'] {
  if (keep.age !== undefined)
    return { age: keep.age, ...(keep.count !== undefined ? { count: keep.count } : {}) };
  if (keep.count !== undefined) return { count: keep.count };
  return false;
}

function positive(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number' && value > 0 && Number.isFinite(value)) return value;
  throw new InvalidArgumentError(`${name} must be a positive number, got ${String(value)}`);
}
