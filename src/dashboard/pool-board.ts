/**
 * The local pools a dashboard shows: pools of this process (read when the dashboard draws) and
 * pools of other processes (their reports, posted every second). A pool that stops reporting
 * for 10 seconds is shown as gone, and dropped after 10 minutes. Throughput is the rate of
 * completed calls between two readings.
 */
import type { PoolMetrics } from '../observe/pool-metrics.js';

export interface PoolRow {
  readonly name: string;
  readonly backend: string;
  readonly workers: number;
  readonly queued: number;
  readonly running: number;
  readonly completed: number;
  readonly failed: number;
  /** Calls completed per second, between the last two readings. */
  readonly throughput: number;
  readonly tasks: readonly {
    task: string;
    completed: number;
    failed: number;
    latencyMs: PoolMetrics['tasks'][number]['latencyMs'];
  }[];
  readonly where: 'this process' | 'reported';
  readonly status: 'up' | 'gone';
  readonly seenAt: number;
}

interface Entry {
  read?: () => PoolMetrics;
  last?: PoolMetrics;
  seenAt: number;
  gone: boolean;
  previous?: { at: number; completed: number };
  throughput: number;
}

const GONE_MS = 10_000;
const DROP_MS = 600_000;
const MAX_POOLS = 200;

export class PoolBoard {
  readonly #entries = new Map<string, Entry>();

  /** A pool of this process. */
  attach(read: () => PoolMetrics): () => void {
    const name = read().pool;
    const entry: Entry = { read, seenAt: Date.now(), gone: false, throughput: 0 };
    this.#entries.set(name, entry);
    return () => {
      if (this.#entries.get(name) === entry) this.#entries.delete(name);
    };
  }

  /** A report posted by a pool elsewhere (already validated). */
  report(metrics: PoolMetrics, gone: boolean): void {
    const entry = this.#entries.get(metrics.pool);
    if (entry === undefined && this.#entries.size >= MAX_POOLS) return;
    const next: Entry = entry ?? { seenAt: 0, gone: false, throughput: 0 };
    next.last = metrics;
    next.seenAt = Date.now();
    next.gone = gone;
    this.#measure(next, metrics);
    this.#entries.set(metrics.pool, next);
  }

  /** Every pool's latest reading. */
  rows(now = Date.now()): PoolRow[] {
    const rows: PoolRow[] = [];
    for (const [name, entry] of this.#entries) {
      if (entry.read !== undefined) {
        const metrics = entry.read();
        entry.last = metrics;
        entry.seenAt = now;
        this.#measure(entry, metrics);
      }
      if (now - entry.seenAt > DROP_MS) {
        this.#entries.delete(name);
        continue;
      }
      const m = entry.last;
      if (m === undefined) continue;
      rows.push({
        name,
        backend: m.backend,
        workers: m.workers,
        queued: m.queued,
        running: m.running,
        completed: sum(m, 'completed'),
        failed: sum(m, 'failed'),
        throughput: entry.throughput,
        tasks: m.tasks.map((t) => ({
          task: t.task,
          completed: t.completed,
          failed: t.failed,
          latencyMs: t.latencyMs,
        })),
        where: entry.read !== undefined ? 'this process' : 'reported',
        status: entry.gone || now - entry.seenAt > GONE_MS ? 'gone' : 'up',
        seenAt: entry.seenAt,
      });
    }
    return rows.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Latest metrics of the pools that are up (for /metrics). */
  metrics(now = Date.now()): PoolMetrics[] {
    const out: PoolMetrics[] = [];
    for (const entry of this.#entries.values()) {
      const m = entry.read?.() ?? entry.last;
      if (m !== undefined && (entry.read !== undefined || now - entry.seenAt <= GONE_MS)) out.push(m);
    }
    return out;
  }

  #measure(entry: Entry, metrics: PoolMetrics): void {
    const completed = sum(metrics, 'completed');
    const previous = entry.previous;
    if (previous !== undefined && metrics.at - previous.at >= 500) {
      entry.throughput =
        Math.round((Math.max(0, completed - previous.completed) / (metrics.at - previous.at)) * 1000 * 10) /
        10;
      entry.previous = { at: metrics.at, completed };
    } else if (previous === undefined) {
      entry.previous = { at: metrics.at, completed };
    }
  }
}

function sum(metrics: PoolMetrics, key: 'completed' | 'failed'): number {
  let total = 0;
  for (const t of metrics.tasks) total += t[key];
  return total;
}

/** Checks a posted report's shape (it comes from the network); returns it or a reason. */
export function validReport(body: unknown): { metrics: PoolMetrics; gone: boolean } | string {
  if (body === null || typeof body !== 'object') return 'the report must be a JSON object';
  const { metrics, gone } = body as { metrics?: unknown; gone?: unknown };
  if (metrics === null || typeof metrics !== 'object') return 'metrics is missing';
  const m = metrics as Record<string, unknown>;
  const text = (v: unknown) => typeof v === 'string' && v.length > 0 && v.length <= 200;
  const count = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
  if (!text(m.pool) || !text(m.backend)) return 'metrics.pool and metrics.backend must be short strings';
  if (!count(m.workers) || !count(m.queued) || !count(m.running) || !count(m.at))
    return 'metrics counts must be numbers';
  if (!Array.isArray(m.tasks) || m.tasks.length > 500) return 'metrics.tasks must be a list (at most 500)';
  for (const t of m.tasks as Record<string, unknown>[]) {
    if (t === null || typeof t !== 'object' || !text(t.task)) return 'each task needs a task name';
    for (const key of ['submitted', 'started', 'completed', 'failed', 'timeouts', 'crashes'])
      if (!count(t[key])) return `tasks[].${key} must be a count`;
    for (const key of ['duration', 'queueWait']) {
      const h = t[key] as Record<string, unknown> | undefined;
      if (
        h === null ||
        typeof h !== 'object' ||
        !Array.isArray(h.bounds) ||
        !Array.isArray(h.counts) ||
        !count(h.sum) ||
        !count(h.count)
      )
        return `tasks[].${key} must be a histogram`;
      if (!h.bounds.every(count) || !h.counts.every(count) || h.counts.length !== h.bounds.length + 1)
        return `tasks[].${key} has malformed buckets`;
    }
  }
  return { metrics: metrics as PoolMetrics, gone: gone === true };
}
