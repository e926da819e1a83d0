/**
 * What a `taskmill worker` tells the dashboard about itself, stored under its queue's prefix:
 *
 * - `<prefix>:taskmill:queues`: a set of queue names (so the dashboard finds queues without
 *   scanning keys);
 * - `<prefix>:<queue>:taskmill:workers`: a sorted set, worker id -> last heartbeat (ms);
 * - `<prefix>:<queue>:taskmill:worker:<id>`: a hash (host, pid, concurrency, backend, start,
 *   heartbeat, jobs done and failed, jobs running now), expiring an hour after the last beat;
 * - `<prefix>:<queue>:taskmill:attempts:<job id>`: a list of the job's attempts (worker, start,
 *   end, outcome), expiring with the failed jobs (7 days).
 *
 * Heartbeats go out every `interval` ms; attempts are written in batches, not one round trip
 * per job. The same counts feed the worker's own Prometheus metrics.
 */
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { MetricFamily } from './prometheus-text.js';

export const queuesKey = (prefix: string): string => `${prefix}:taskmill:queues`;
export const workersKey = (prefix: string, queue: string): string => `${prefix}:${queue}:taskmill:workers`;
export const workerKey = (prefix: string, queue: string, id: string): string =>
  `${prefix}:${queue}:taskmill:worker:${id}`;
export const attemptsKey = (prefix: string, queue: string, jobId: string): string =>
  `${prefix}:${queue}:taskmill:attempts:${jobId}`;

export const DEFAULT_HEARTBEAT_MS = 2000;
const WORKER_TTL_MS = 3_600_000;
const ATTEMPTS_TTL_S = 7 * 24 * 3600;
/** Running jobs listed in a heartbeat (the count is always exact). */
const LISTED_RUNNING = 50;

/** One run of a job, as the dashboard shows it. */
export interface AttemptRecord {
  readonly attempt: number;
  readonly worker: string;
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly outcome: 'completed' | 'failed' | 'handed back';
  /** `Class [code]: message` of a failed attempt. */
  readonly error?: string;
}

export interface WorkerWatchOptions {
  readonly client: Redis;
  readonly prefix: string;
  readonly queue: string;
  readonly id: string;
  readonly concurrency: number;
  readonly backend: string;
  readonly interval?: number;
}

interface RunningJob {
  readonly task: string;
  readonly since: number;
  readonly attempt: number;
}

export class WorkerWatch {
  readonly #options: WorkerWatchOptions;
  readonly #interval: number;
  readonly #startedAt = Date.now();
  readonly #running = new Map<string, RunningJob>();
  #attempts: [jobId: string, record: string][] = [];
  #timer: NodeJS.Timeout | undefined;
  #beating: Promise<void> | undefined;
  done = 0;
  failed = 0;
  retries = 0;
  stalls = 0;
  readonly #byTask = new Map<string, { done: number; failed: number; retries: number }>();

  constructor(options: WorkerWatchOptions) {
    this.#options = options;
    this.#interval = options.interval ?? DEFAULT_HEARTBEAT_MS;
  }

  /** Sends the first heartbeat, then one every interval. */
  async start(): Promise<void> {
    await this.#beat(false);
    this.#timer = setInterval(() => void this.#beat(false), this.#interval);
    this.#timer.unref();
  }

  /** A job started on this worker (`attemptsMade`: its earlier runs). */
  begin(jobId: string, task: string, attemptsMade: number): void {
    this.#running.set(jobId, { task, since: Date.now(), attempt: attemptsMade + 1 });
    if (attemptsMade > 0) {
      this.retries++;
      this.#task(task).retries++;
    }
  }

  /** A job's attempt ended here. */
  end(jobId: string, outcome: AttemptRecord['outcome'], error?: string): void {
    const job = this.#running.get(jobId);
    if (job === undefined) return;
    this.#running.delete(jobId);
    const counts = this.#task(job.task);
    if (outcome === 'completed') {
      this.done++;
      counts.done++;
    } else if (outcome === 'failed') {
      this.failed++;
      counts.failed++;
    }
    const record: AttemptRecord = {
      attempt: job.attempt,
      worker: this.#options.id,
      startedAt: job.since,
      finishedAt: Date.now(),
      outcome,
      ...(error !== undefined ? { error: error.slice(0, 500) } : {}),
    };
    this.#attempts.push([jobId, JSON.stringify(record)]);
    if (this.#attempts.length === 1) setTimeout(() => void this.#flushAttempts(), 100).unref();
  }

  stalled(): void {
    this.stalls++;
  }

  /** The last heartbeat, marked stopped; the timers end. */
  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#beating?.catch(() => {});
    await this.#beat(true).catch(() => {});
  }

  /** Worker-level families for `--metrics-port` (the local pool adds its own). */
  families(): MetricFamily[] {
    const { queue, id } = this.#options;
    const per = (pick: (c: { done: number; failed: number; retries: number }) => number) =>
      [...this.#byTask].map(([task, c]) => ({ labels: { queue, worker: id, task }, value: pick(c) }));
    return [
      {
        name: 'taskmill_jobs_completed_total',
        help: 'Queue jobs this worker completed.',
        type: 'counter',
        samples: per((c) => c.done),
      },
      {
        name: 'taskmill_jobs_failed_total',
        help: 'Queue job attempts that failed on this worker.',
        type: 'counter',
        samples: per((c) => c.failed),
      },
      {
        name: 'taskmill_job_retries_total',
        help: 'Queue jobs this worker ran again after a failed attempt.',
        type: 'counter',
        samples: per((c) => c.retries),
      },
      {
        name: 'taskmill_job_stalls_total',
        help: 'Jobs this worker found stalled (their worker stopped renewing the lock).',
        type: 'counter',
        samples: [{ labels: { queue, worker: id }, value: this.stalls }],
      },
      {
        name: 'taskmill_jobs_running',
        help: 'Queue jobs running on this worker now.',
        type: 'gauge',
        samples: [{ labels: { queue, worker: id }, value: this.#running.size }],
      },
    ];
  }

  #task(task: string): { done: number; failed: number; retries: number } {
    let counts = this.#byTask.get(task);
    if (counts === undefined) {
      counts = { done: 0, failed: 0, retries: 0 };
      this.#byTask.set(task, counts);
    }
    return counts;
  }

  #beat(stopped: boolean): Promise<void> {
    const { client, prefix, queue, id, concurrency, backend } = this.#options;
    const now = Date.now();
    const listed: { id: string; task: string; since: number }[] = [];
    for (const [jobId, job] of this.#running) {
      if (listed.length >= LISTED_RUNNING) break;
      listed.push({ id: jobId, task: job.task, since: job.since });
    }
    const key = workerKey(prefix, queue, id);
    const beat = client
      .multi()
      .sadd(queuesKey(prefix), queue)
      .zadd(workersKey(prefix, queue), now, id)
      .pexpire(workersKey(prefix, queue), WORKER_TTL_MS * 24)
      .hset(key, {
        host: hostname(),
        pid: String(process.pid),
        concurrency: String(concurrency),
        backend,
        startedAt: String(this.#startedAt),
        beatAt: String(now),
        interval: String(this.#interval),
        done: String(this.done),
        failed: String(this.failed),
        runningCount: String(this.#running.size),
        running: JSON.stringify(listed),
        stopped: stopped ? '1' : '0',
      })
      .pexpire(key, WORKER_TTL_MS)
      .exec()
      .then(
        () => this.#flushAttempts(),
        () => {}, // Redis away: the next beat tries again
      );
    this.#beating = beat;
    return beat;
  }

  async #flushAttempts(): Promise<void> {
    const batch = this.#attempts;
    if (batch.length === 0) return;
    this.#attempts = [];
    const { client, prefix, queue } = this.#options;
    const pipeline = client.pipeline();
    for (const [jobId, record] of batch) {
      const key = attemptsKey(prefix, queue, jobId);
      pipeline.rpush(key, record).expire(key, ATTEMPTS_TTL_S);
    }
    await pipeline.exec().catch(() => {});
  }
}
