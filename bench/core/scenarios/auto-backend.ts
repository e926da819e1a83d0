/**
 * Issue 3, `parallel(items, task, { backend: 'auto' })` against every fixed backend, on work
 * that waits (sleeps: the event loop should win) and on work that computes (fib: worker
 * threads should win). Each figure is the whole parallel() call, pool start and stop
 * included, the same for every contender. Target: auto within 15% of the best fixed backend.
 */
import { type BackendName, parallel, type TaskRef } from 'taskmill';
import type { Contender, Sample, Scenario } from '../../harness/types.js';
import { benchTasks } from '../tasks/bench-task-refs.js';
import { fib } from '../tasks/bench-tasks.js';
import { expectEqual, sum, timed } from './measure.js';

export interface AutoParams {
  readonly items: number;
  /** The task's argument: ms to sleep, or n for fib(n). */
  readonly arg: number;
  readonly workers: number;
  readonly concurrency: number;
}

type Workload = 'sleep' | 'fib';

async function runParallel(
  workload: Workload,
  backend: BackendName | 'auto',
  params: AutoParams,
): Promise<Sample> {
  const task = (workload === 'sleep' ? benchTasks.sleep : benchTasks.fib) as TaskRef<[number], number>;
  const items = new Array<number>(params.items).fill(params.arg);
  const jobs =
    backend === 'async'
      ? { jobs: params.concurrency }
      : backend === 'auto' || backend === 'sequential'
        ? {}
        : { jobs: params.workers };
  const { ms, result } = await timed(() => parallel(items, task, { backend, ...jobs }));
  const each = workload === 'sleep' ? params.arg : fib(params.arg);
  expectEqual('sum of results', sum(result), each * params.items);
  return {
    value: ms,
    ms,
    ...(result.choice !== undefined ? { note: `chose ${result.choice.backend} x${result.choice.jobs}` } : {}),
  };
}

function makeScenario(
  workload: Workload,
  fixed: readonly BackendName[],
  params: (quick: boolean) => AutoParams,
): Scenario<AutoParams> {
  const fixedIds = fixed.map((b) => `fixed-${b}`);
  const contenders: Contender<AutoParams>[] = [
    {
      id: 'auto',
      label: "parallel(), backend 'auto'",
      compareTo: fixedIds,
      ratioTarget: { max: 1.15 },
      run: (p) => runParallel(workload, 'auto', p),
    },
    ...fixed.map(
      (backend): Contender<AutoParams> => ({
        id: `fixed-${backend}`,
        label: `parallel(), backend '${backend}'`,
        compareTo: fixedIds,
        run: (p) => runParallel(workload, backend, p),
      }),
    ),
  ];
  const sleep = workload === 'sleep';
  return {
    id: sleep ? 'auto-sleep' : 'auto-cpu',
    title: sleep
      ? "backend 'auto' on waiting work: 500 tasks sleeping 20 ms"
      : "backend 'auto' on CPU work: 100 tasks of fib(31) (~10 ms each)",
    method:
      'Each contender in a fresh process times one whole parallel() call (pool start, map, close); ratio against the best fixed backend of the same run.',
    unit: 'ms',
    higherIsBetter: false,
    baseline: fixedIds[0] as string,
    timeoutMs: 120_000,
    params,
    contenders,
  };
}

export const sleepScenario = makeScenario('sleep', ['async', 'threads', 'processes'], (quick) => ({
  items: quick ? 100 : 500,
  arg: 20,
  workers: 2,
  concurrency: 64,
}));

export const cpuScenario = makeScenario('fib', ['sequential', 'async', 'threads', 'processes'], (quick) => ({
  items: quick ? 32 : 100,
  arg: quick ? 30 : 31,
  workers: 2,
  concurrency: 64,
}));
