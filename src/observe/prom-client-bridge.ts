/**
 * taskmill's pool metrics inside an application's own prom-client registry (prom-client is an
 * optional peer: taskmill never imports it, it only hands the registry metric objects of the
 * shape prom-client reads). Each scrape reads the pools' metrics afresh.
 */
import { InvalidArgumentError } from '../core/errors.js';
import type { PoolMetrics } from './pool-metrics.js';
import { type MetricFamily, poolFamilies } from './prometheus-text.js';

/** What this needs of a prom-client Registry. */
export interface PromRegistry {
  registerMetric(metric: unknown): void;
}

interface PromValue {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

/** A source of pool metrics: a pool made with `metrics: true` (or exposed). */
export interface MetricsSource {
  metrics(): PoolMetrics;
}

/**
 * Registers taskmill's metric families of `pools` in a prom-client registry
 * (`registerPoolMetrics(register, [pool])` with prom-client's default `register`).
 */
export function registerPoolMetrics(registry: PromRegistry, pools: readonly MetricsSource[]): void {
  if (registry === null || typeof registry !== 'object' || typeof registry.registerMetric !== 'function') {
    throw new InvalidArgumentError(
      "registry must be a prom-client Registry (import { register } from 'prom-client')",
    );
  }
  if (!Array.isArray(pools) || pools.some((p) => typeof p?.metrics !== 'function')) {
    throw new InvalidArgumentError('pools must be a list of pools made with metrics: true');
  }
  const read = (): MetricFamily[] => poolFamilies(pools.map((p) => p.metrics()));
  for (const family of read()) {
    const name = family.name;
    registry.registerMetric({
      name,
      help: family.help,
      type: family.type,
      aggregator: 'sum',
      reset() {},
      get() {
        const current = read().find((f) => f.name === name) ?? family;
        return {
          name,
          help: current.help,
          type: current.type,
          aggregator: 'sum',
          values: promValues(current),
        };
      },
    });
  }
}

function promValues(family: MetricFamily): PromValue[] {
  const values: PromValue[] = [];
  for (const sample of family.samples) {
    if ('value' in sample) {
      values.push({ value: sample.value, labels: { ...sample.labels } });
      continue;
    }
    const { bounds, counts, sum, count } = sample.histogram;
    let cumulative = 0;
    for (let i = 0; i <= bounds.length; i++) {
      cumulative += counts[i] ?? 0;
      values.push({
        metricName: `${family.name}_bucket`,
        value: cumulative,
        labels: { ...sample.labels, le: i < bounds.length ? (bounds[i] as number) : '+Inf' },
      });
    }
    values.push({ metricName: `${family.name}_sum`, value: sum, labels: { ...sample.labels } });
    values.push({ metricName: `${family.name}_count`, value: count, labels: { ...sample.labels } });
  }
  return values;
}
