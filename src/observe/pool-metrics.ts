/**
 * Metrics of one pool, collected through its observer hook: per task, calls submitted, started,
 * completed and failed, timeouts and worker crashes, run-time and queue-wait histograms and
 * recent latencies; per pool, queued, running and workers. `snapshot()` is plain data: the
 * Prometheus writer, `pool.metrics()` and the dashboard all read it.
 */
import { type ExecRequest, type ExecResult, itemCount } from '../core/backend.js';
import { TaskTimeoutError, WorkerCrashedError } from '../core/errors.js';
import { Histogram, type HistogramSnapshot, RecentValues } from './histogram.js';
import type { PoolObserver } from './observer.js';

export interface TaskMetrics {
  readonly task: string;
  readonly submitted: number;
  readonly started: number;
  readonly completed: number;
  readonly failed: number;
  readonly timeouts: number;
  readonly crashes: number;
  /** Seconds each call ran (map batches: the batch's time shared by its items). */
  readonly duration: HistogramSnapshot;
  /** Seconds each call waited in the pool's queue before a backend took it. */
  readonly queueWait: HistogramSnapshot;
  /** Of the last calls' run times, in ms (undefined before the first finished). */
  readonly latencyMs: { p50: number; p90: number; p99: number; max: number } | undefined;
}

export interface PoolMetrics {
  /** The pool's name in metrics and on the dashboard. */
  readonly pool: string;
  readonly backend: string;
  /** Threads or processes (threads, processes), in-flight tasks (async), jobs in flight (redis). */
  readonly workers: number;
  readonly queued: number;
  readonly running: number;
  /** Milliseconds since the epoch when the snapshot was taken. */
  readonly at: number;
  readonly tasks: readonly TaskMetrics[];
}

/** What the collector reads of its pool when a snapshot is taken. */
export interface PoolGauges {
  readonly backend: string;
  readonly queued: number;
  readonly running: number;
}

class TaskCounters {
  submitted = 0;
  started = 0;
  completed = 0;
  failed = 0;
  timeouts = 0;
  crashes = 0;
  readonly duration = new Histogram();
  readonly queueWait = new Histogram();
  readonly recent = new RecentValues();

  constructor(readonly task: string) {}
}

// Where a request's counters and times ride along with it (set while it is in the pool).
const COUNTERS = Symbol('taskmill.metrics.counters');
const QUEUED_AT = Symbol('taskmill.metrics.queuedAt');
const STARTED_AT = Symbol('taskmill.metrics.startedAt');

interface Marked {
  [COUNTERS]?: TaskCounters;
  [QUEUED_AT]?: number;
  [STARTED_AT]?: number;
}

let unnamed = 0;

export class PoolMetricsCollector implements PoolObserver {
  readonly name: string;
  readonly #byTask = new Map<string, TaskCounters>();
  readonly #pool: PoolGauges;
  readonly #workers: number;

  constructor(pool: PoolGauges, workers: number, name?: string) {
    this.#pool = pool;
    this.#workers = workers;
    this.name = name ?? `pool-${++unnamed}`;
  }

  submitted(request: ExecRequest): void {
    const marked = request as unknown as Marked;
    const name = request.taskName;
    let counters = this.#byTask.get(name);
    if (counters === undefined) {
      counters = new TaskCounters(name);
      this.#byTask.set(name, counters);
    }
    counters.submitted += itemCount(request);
    marked[COUNTERS] = counters;
    marked[QUEUED_AT] = performance.now();
  }

  started(request: ExecRequest): void {
    const marked = request as unknown as Marked;
    const counters = marked[COUNTERS];
    if (counters === undefined) return;
    const now = performance.now();
    const items = itemCount(request);
    counters.started += items;
    counters.queueWait.observe((now - (marked[QUEUED_AT] as number)) / 1000, items);
    marked[STARTED_AT] = now;
  }

  settled(request: ExecRequest, result: ExecResult | undefined, error: unknown): void {
    const marked = request as unknown as Marked;
    const counters = marked[COUNTERS];
    if (counters === undefined) return;
    marked[COUNTERS] = undefined;
    const items = itemCount(request);
    if (result !== undefined) {
      const failed = result.errors?.size ?? 0;
      counters.completed += items - failed;
      counters.failed += failed;
    } else {
      counters.failed += items;
      if (error instanceof TaskTimeoutError) counters.timeouts += 1;
      else if (error instanceof WorkerCrashedError) counters.crashes += 1;
    }
    const startedAt = marked[STARTED_AT];
    if (startedAt === undefined) return; // dropped before it ran
    const ms = performance.now() - startedAt;
    counters.duration.observe(ms / 1000 / items, items);
    counters.recent.push(ms / items);
  }

  snapshot(): PoolMetrics {
    const tasks: TaskMetrics[] = [];
    for (const c of this.#byTask.values()) {
      tasks.push({
        task: c.task,
        submitted: c.submitted,
        started: c.started,
        completed: c.completed,
        failed: c.failed,
        timeouts: c.timeouts,
        crashes: c.crashes,
        duration: c.duration.snapshot(),
        queueWait: c.queueWait.snapshot(),
        latencyMs: c.recent.percentiles(),
      });
    }
    return {
      pool: this.name,
      backend: this.#pool.backend,
      workers: this.#workers,
      queued: this.#pool.queued,
      running: this.#pool.running,
      at: Date.now(),
      tasks,
    };
  }
}
