/**
 * Issue 2, CPU-bound: 64 tasks of recursive fib(34) (~45 ms each), 2 workers, against the
 * sequential loop in one thread. With 2 cores the ceiling is 2.0x. Pools are started and
 * warmed with tiny tasks before the clock starts.
 */
import { type BackendName, Pool } from 'taskmill';
import type { Contender, Sample, Scenario } from '../../harness/types.js';
import { openPeer, PEER_LABELS, type PeerKind } from '../peers/peer-pools.js';
import { runPythonPool } from '../peers/python-pool.js';
import { benchTasks } from '../tasks/bench-task-refs.js';
import { fib } from '../tasks/bench-tasks.js';
import { expectEqual, perSecond, range, sum, timed } from './measure.js';

export interface CpuParams {
  readonly tasks: number;
  readonly n: number;
  readonly workers: number;
}

async function withTaskmill(backend: BackendName, params: CpuParams): Promise<Sample> {
  const pool = new Pool({ backend, workers: params.workers });
  try {
    await Promise.all(range(params.workers * 2).map((n) => pool.apply(benchTasks.inc, n)));
    const items = new Array<number>(params.tasks).fill(params.n);
    const { ms, result } = await timed(() => pool.map(benchTasks.fib, items));
    expectEqual('sum of results', sum(result), fib(params.n) * params.tasks);
    return { value: perSecond(params.tasks, ms), ms };
  } finally {
    await pool.terminate();
  }
}

async function withPeer(kind: PeerKind, params: CpuParams): Promise<Sample> {
  const pool = await openPeer(kind, params.workers);
  try {
    await Promise.all(range(params.workers * 2).map((n) => pool.run('inc', n)));
    const { ms, result } = await timed(() =>
      Promise.all(range(params.tasks).map(() => pool.run('fib', params.n))),
    );
    expectEqual('sum of results', sum(result), fib(params.n) * params.tasks);
    return { value: perSecond(params.tasks, ms), ms };
  } finally {
    await pool.destroy();
  }
}

const peer = (kind: PeerKind): Contender<CpuParams> => ({
  id: kind,
  label: PEER_LABELS[kind],
  compareTo: 'inline',
  run: (params) => withPeer(kind, params),
});

export const scenario: Scenario<CpuParams> = {
  id: 'cpu-bound',
  title: 'CPU-bound: recursive fib(34), 64 tasks, 2 workers',
  method:
    'Each contender in a fresh process: pool started and warmed, then all tasks at once; ratio against the inline loop is the speedup (2 cores: at most 2.0x).',
  unit: 'tasks/s',
  higherIsBetter: true,
  baseline: 'inline',
  timeoutMs: 120_000,
  params: (quick) => ({ tasks: quick ? 16 : 64, n: quick ? 30 : 34, workers: 2 }),
  contenders: [
    {
      id: 'inline',
      label: 'inline loop (sequential, no pool)',
      run: async (params) => {
        fib(20); // warm-up
        const { ms, result } = await timed(() => {
          let total = 0;
          for (let i = 0; i < params.tasks; i++) total += fib(params.n);
          return total;
        });
        expectEqual('sum of results', result, fib(params.n) * params.tasks);
        return { value: perSecond(params.tasks, ms), ms };
      },
    },
    {
      id: 'taskmill-threads-map',
      label: 'taskmill threads map',
      ratioTarget: { min: 1.95 },
      run: (p) => withTaskmill('threads', p),
    },
    {
      id: 'taskmill-processes-map',
      label: 'taskmill processes map',
      ratioTarget: { min: 1.95 },
      run: (p) => withTaskmill('processes', p),
    },
    peer('piscina'),
    peer('tinypool-threads'),
    peer('workerpool-thread'),
    peer('workerpool-process'),
    {
      // Python's own speed-up (its fib against its own one-worker pool would be the fair
      // ratio; against Node's inline loop it shows how far slower CPython's fib is).
      id: 'python-pool-fib',
      label: 'Python multiprocessing Pool.map, chunksize 1',
      compareTo: 'inline',
      run: async (params) => {
        const { ms, check } = await runPythonPool('fib', params.tasks, params.workers, params.n);
        expectEqual('sum of results', check, fib(params.n) * params.tasks);
        return { value: perSecond(params.tasks, ms), ms };
      },
    },
  ],
};
