/**
 * What the Pool delegates to: which observers a new pool gets (tracing when OpenTelemetry is
 * installed, metrics when asked for), `pool.metrics()` and `pool.expose()`.
 */
import type { BackendName } from '../core/backend.js';
import { InvalidArgumentError } from '../core/errors.js';
import { assertKnownKeys } from '../core/option-keys.js';
import { combineObservers, type PoolObserver } from './observer.js';
import { type PoolMetrics, PoolMetricsCollector } from './pool-metrics.js';
import { poolFamilies, renderPrometheus } from './prometheus-text.js';
import { callerTracing } from './tracing.js';

/** What observing needs of a pool. */
export interface ObservedPool {
  readonly backend: BackendName;
  readonly queued: number;
  readonly running: number;
  /** @internal Replaces the pool's observer (undefined: none). */
  _observe(observer: PoolObserver | undefined): void;
}

/** `metrics` in Pool options: true, or a name for the pool in metrics and on the dashboard. */
export type MetricsOption = boolean | { readonly name?: string };

interface Observation {
  readonly workers: number;
  readonly tracing: PoolObserver | undefined;
  metrics: PoolMetricsCollector | undefined;
}

const observations = new WeakMap<ObservedPool, Observation>();

/** Sets up a new pool's observers; returns the observer it starts with. */
export function observePool(
  pool: ObservedPool,
  options: { metrics?: MetricsOption; workers: number; concurrency: number; inFlight?: unknown },
): PoolObserver | undefined {
  const workers =
    pool.backend === 'async'
      ? options.concurrency
      : pool.backend === 'sequential'
        ? 1
        : pool.backend === 'redis'
          ? typeof options.inFlight === 'number'
            ? options.inFlight
            : 5000
          : options.workers;
  const observation: Observation = { workers, tracing: callerTracing(pool.backend), metrics: undefined };
  observations.set(pool, observation);
  const wanted = options.metrics;
  if (wanted !== undefined && wanted !== false) {
    if (wanted !== true && (wanted === null || typeof wanted !== 'object')) {
      throw new InvalidArgumentError('metrics must be true or { name: "my-pool" }');
    }
    if (wanted !== true) assertKnownKeys(wanted, ['name'], 'Pool option metrics');
    observation.metrics = new PoolMetricsCollector(pool, workers, wanted === true ? undefined : wanted.name);
  }
  return current(observation);
}

function current(observation: Observation): PoolObserver | undefined {
  const list: PoolObserver[] = [];
  if (observation.metrics !== undefined) list.push(observation.metrics);
  if (observation.tracing !== undefined) list.push(observation.tracing);
  return combineObservers(list);
}

/** The pool's metrics collector, switching metrics on if they were off (from now on). */
export function metricsOf(pool: ObservedPool, name?: string): PoolMetricsCollector {
  const observation = observations.get(pool);
  if (observation === undefined) throw new InvalidArgumentError('this pool is not observable');
  if (observation.metrics === undefined) {
    observation.metrics = new PoolMetricsCollector(pool, observation.workers, name);
    pool._observe(current(observation));
  }
  return observation.metrics;
}

export interface MetricsCallOptions {
  /** 'snapshot' (default): plain data; 'prometheus': the text exposition. */
  readonly format?: 'snapshot' | 'prometheus';
}

/** `pool.metrics()`: requires `metrics` in the pool's options (or an earlier `expose()`). */
export function poolMetrics(pool: ObservedPool, options: MetricsCallOptions = {}): PoolMetrics | string {
  assertKnownKeys(options, ['format'], 'pool.metrics() options');
  const metrics = observations.get(pool)?.metrics;
  if (metrics === undefined) {
    throw new InvalidArgumentError(
      'this pool collects no metrics: create it with new Pool({ ..., metrics: true }) (or call pool.expose() first)',
    );
  }
  const snapshot = metrics.snapshot();
  if (options.format === undefined || options.format === 'snapshot') return snapshot;
  if (options.format === 'prometheus') return renderPrometheus(poolFamilies([snapshot]));
  throw new InvalidArgumentError(`format must be 'snapshot' or 'prometheus', got ${String(options.format)}`);
}
