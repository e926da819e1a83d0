/**
 * Issue 13's overhead bound: threads `submit` of 100,000 tiny calls (as in tiny-tasks), with the
 * pool's metrics on against off, each in a fresh process. Target: metrics on keeps at least 95%
 * of the throughput.
 */
import { Pool } from 'taskmill';
import { PoolMetricsCollector } from '../../../dist/observe/pool-metrics.js';
import type { Sample, Scenario } from '../../harness/types.js';
import { benchTasks } from '../tasks/bench-task-refs.js';
import { expectEqual, perSecond, range, sum, timed } from './measure.js';

interface Params {
  readonly tasks: number;
  readonly workers: number;
}

async function submitAll(params: Params, metrics: boolean): Promise<Sample> {
  const pool = new Pool({ backend: 'threads', workers: params.workers, metrics });
  try {
    await Promise.all(range(params.workers * 2).map((n) => pool.apply(benchTasks.inc, n)));
    const items = range(params.tasks);
    const { ms, result } = await timed(() =>
      Promise.all(items.map((n) => pool.submit(benchTasks.inc, n).get())),
    );
    expectEqual('sum of results', sum(result), (params.tasks * (params.tasks - 1)) / 2 + params.tasks);
    const value = perSecond(params.tasks, ms);
    if (!metrics) return { value, ms };
    const counted = pool.metrics().tasks.find((t) => t.task.endsWith('#inc'))?.completed;
    expectEqual('completed calls counted', counted, params.tasks + params.workers * 2);
    const ns = observerNs(params.tasks);
    return {
      value,
      ms,
      note: `metrics: ${ns.toFixed(0)} ns/call, ${((ns / (1e9 / value)) * 100).toFixed(1)}% of a call here`,
    };
  } finally {
    await pool.terminate();
  }
}

/**
 * What the metrics observer itself costs per call (submitted + started + settled), measured
 * alone in this process: a figure the machine's load hardly moves, unlike the ratio of two
 * throughputs. Median of 5 rounds after a warm-up round.
 */
function observerNs(calls: number): number {
  const collector = new PoolMetricsCollector({ backend: 'threads', queued: 0, running: 0 }, 2, 'cost');
  const entries = range(calls).map((i) => ({
    request: { task: () => i, taskName: 'bench#inc', items: [[i]], singleArgs: [i], firstIndex: 0 },
    observed: undefined as unknown,
  }));
  const result = { values: [0] };
  const rounds: number[] = [];
  for (let round = 0; round < 6; round++) {
    const started = performance.now();
    for (const entry of entries) collector.submitted(entry);
    for (const entry of entries) collector.started(entry);
    for (const entry of entries) collector.settled(entry, result, undefined);
    if (round > 0) rounds.push(((performance.now() - started) / calls) * 1e6);
  }
  return rounds.sort((a, b) => a - b)[2] as number;
}

export const scenario: Scenario<Params> = {
  id: 'metrics-overhead',
  title: 'Metrics overhead: threads submit, n => n + 1, metrics on vs off, 2 workers',
  method:
    'Each contender in a fresh process: pool started and warmed, then N submit() calls at once; clock stops at the last result (sum and, with metrics, the completed count checked).',
  unit: 'tasks/s',
  higherIsBetter: true,
  baseline: 'threads-submit-metrics-off',
  timeoutMs: 120_000,
  params: (quick) => ({ tasks: quick ? 20_000 : 100_000, workers: 2 }),
  contenders: [
    {
      id: 'threads-submit-metrics-on',
      label: 'taskmill threads submit, metrics on',
      ratioTarget: { min: 0.95 },
      run: (p) => submitAll(p, true),
    },
    {
      id: 'threads-submit-metrics-off',
      label: 'taskmill threads submit, metrics off',
      run: (p) => submitAll(p, false),
    },
  ],
};
