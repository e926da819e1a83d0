/**
 * Metrics of one pool, collected through its observer hook: per task, calls submitted, started,
 * completed and failed, timeouts and worker crashes, run-time and queue-wait histograms and
 * recent latencies; per pool, queued, running and workers. `snapshot()` is plain data: the
 * Prometheus writer, `pool.metrics()` and the dashboard all read it.
 */
import { type ExecResult, itemCount } from '../core/backend.js';
import { TaskTimeoutError, WorkerCrashedError } from '../core/errors.js';
import { Histogram, type HistogramSnapshot, RecentValues } from './histogram.js';
import type { ObservedEntry, PoolObserver } from './observer.js';

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

let unnamed = 0;

/**
 * performance.now(), read once per tick: calls submitted, started or settled in one go (a burst
 * of submits, a message of results) share a time, and the clock is not read per call.
 */
let tickTime = -1;
const clearTick = () => {
  tickTime = -1;
};
function now(): number {
  if (tickTime < 0) {
    tickTime = performance.now();
    queueMicrotask(clearTick);
  }
  return tickTime;
}

export class PoolMetricsCollector implements PoolObserver {
  readonly name: string;
  readonly #byTask = new Map<string, TaskCounters>();
  /** The task counted last: calls of one task in a row skip the lookup. */
  #last: TaskCounters | undefined;
  readonly #pool: PoolGauges;
  readonly #workers: number;

  constructor(pool: PoolGauges, workers: number, name?: string) {
    this.#pool = pool;
    this.#workers = workers;
    this.name = name ?? `pool-${++unnamed}`;
  }

  // The entry's slot holds when it was queued (a positive ms), then when it started (negated):
  // no object, map or lookup per call.
  submitted(entry: ObservedEntry): void {
    const request = entry.request;
    this.#counters(request.taskName).submitted += itemCount(request);
    entry.observed = now();
  }

  started(entry: ObservedEntry): void {
    const queuedAt = entry.observed;
    if (typeof queuedAt !== 'number') return;
    const request = entry.request;
    const at = now();
    const items = itemCount(request);
    const counters = this.#counters(request.taskName);
    counters.started += items;
    counters.queueWait.observe((at - queuedAt) / 1000, items);
    entry.observed = -at;
  }

  settled(entry: ObservedEntry, result: ExecResult | undefined, error: unknown): void {
    const mark = entry.observed;
    if (typeof mark !== 'number') return;
    entry.observed = undefined;
    const request = entry.request;
    const counters = this.#counters(request.taskName);
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
    if (mark > 0) return; // dropped before it ran
    const ms = now() + mark;
    counters.duration.observe(ms / 1000 / items, items);
    counters.recent.push(ms / items);
  }

  /** The counters of a task; calls of one task in a row skip the map. */
  #counters(name: string): TaskCounters {
    const last = this.#last;
    if (last !== undefined && last.task === name) return last;
    let counters = this.#byTask.get(name);
    if (counters === undefined) {
      counters = new TaskCounters(name);
      this.#byTask.set(name, counters);
    }
    this.#last = counters;
    return counters;
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
