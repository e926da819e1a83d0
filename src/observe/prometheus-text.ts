/**
 * Prometheus' text exposition format (version 0.0.4), written from metric families. Every
 * name starts with `taskmill_`; label values are escaped as the format asks.
 */
import type { HistogramSnapshot } from './histogram.js';
import type { PoolMetrics } from './pool-metrics.js';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type Labels = Readonly<Record<string, string>>;

export interface MetricFamily {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly samples: readonly (
    | { readonly labels: Labels; readonly value: number }
    | { readonly labels: Labels; readonly histogram: HistogramSnapshot }
  )[];
}

/** The families of a set of pool snapshots (labels: pool, backend, and task for per-task ones). */
export function poolFamilies(pools: readonly PoolMetrics[]): MetricFamily[] {
  const counter = (name: string, help: string, pick: (t: PoolMetrics['tasks'][number]) => number) => ({
    name,
    help,
    type: 'counter' as const,
    samples: pools.flatMap((p) =>
      p.tasks.map((t) => ({ labels: { pool: p.pool, backend: p.backend, task: t.task }, value: pick(t) })),
    ),
  });
  const gauge = (name: string, help: string, pick: (p: PoolMetrics) => number) => ({
    name,
    help,
    type: 'gauge' as const,
    samples: pools.map((p) => ({ labels: { pool: p.pool, backend: p.backend }, value: pick(p) })),
  });
  const histogram = (
    name: string,
    help: string,
    pick: (t: PoolMetrics['tasks'][number]) => HistogramSnapshot,
  ) => ({
    name,
    help,
    type: 'histogram' as const,
    samples: pools.flatMap((p) =>
      p.tasks.map((t) => ({
        labels: { pool: p.pool, backend: p.backend, task: t.task },
        histogram: pick(t),
      })),
    ),
  });
  return [
    counter('taskmill_tasks_submitted_total', 'Task calls submitted to the pool.', (t) => t.submitted),
    counter('taskmill_tasks_started_total', 'Task calls a backend started.', (t) => t.started),
    counter('taskmill_tasks_completed_total', 'Task calls that returned a result.', (t) => t.completed),
    counter('taskmill_tasks_failed_total', 'Task calls that ended in an error.', (t) => t.failed),
    counter('taskmill_task_timeouts_total', 'Task calls stopped by their timeout.', (t) => t.timeouts),
    counter('taskmill_worker_crashes_total', 'Requests lost to a worker that died.', (t) => t.crashes),
    histogram('taskmill_task_duration_seconds', 'Seconds a task call ran.', (t) => t.duration),
    histogram(
      'taskmill_task_queue_wait_seconds',
      'Seconds a call waited before it started.',
      (t) => t.queueWait,
    ),
    gauge('taskmill_pool_queued', 'Calls waiting in the pool (queue depth).', (p) => p.queued),
    gauge('taskmill_pool_running', 'Requests running now.', (p) => p.running),
    gauge('taskmill_pool_workers', 'Workers (threads, processes) or slots of the pool.', (p) => p.workers),
  ];
}

/** The exposition text; families of the same name (from several sources) are written once. */
export function renderPrometheus(families: readonly MetricFamily[]): string {
  const merged = new Map<string, MetricFamily>();
  for (const family of families) {
    const seen = merged.get(family.name);
    merged.set(family.name, seen ? { ...seen, samples: [...seen.samples, ...family.samples] } : family);
  }
  const lines: string[] = [];
  for (const family of merged.values()) {
    lines.push(`# HELP ${family.name} ${family.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
    lines.push(`# TYPE ${family.name} ${family.type}`);
    for (const sample of family.samples) {
      if ('value' in sample) {
        lines.push(`${family.name}${labelText(sample.labels)} ${numberText(sample.value)}`);
        continue;
      }
      const { bounds, counts, sum, count } = sample.histogram;
      let cumulative = 0;
      for (let i = 0; i <= bounds.length; i++) {
        cumulative += counts[i] ?? 0;
        const le = i < bounds.length ? String(bounds[i]) : '+Inf';
        lines.push(`${family.name}_bucket${labelText({ ...sample.labels, le })} ${numberText(cumulative)}`);
      }
      lines.push(`${family.name}_sum${labelText(sample.labels)} ${numberText(sum)}`);
      lines.push(`${family.name}_count${labelText(sample.labels)} ${numberText(count)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(
    ([key, value]) => `${key}="${value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`,
  );
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

function numberText(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}
