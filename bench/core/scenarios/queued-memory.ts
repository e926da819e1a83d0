/**
 * Issue 2, memory: peak resident memory of the whole process tree (the process, its worker
 * threads and any child processes) while 100,000 tiny tasks are queued at once on 2 workers.
 * The runner samples /proc/<pid>/status VmRSS of the child and its descendants every 10 ms.
 */
import { type BackendName, Pool } from 'taskmill';
import type { Contender, Sample, Scenario } from '../../harness/types.js';
import { openPeer, PEER_LABELS, type PeerKind } from '../peers/peer-pools.js';
import { runPythonPool } from '../peers/python-pool.js';
import { benchTasks } from '../tasks/bench-task-refs.js';
import { expectEqual, range, sum, timed } from './measure.js';

export interface MemoryParams {
  readonly tasks: number;
  readonly workers: number;
}

const expected = (n: number) => (n * (n - 1)) / 2 + n;

async function withTaskmill(
  params: MemoryParams,
  style: 'submit' | 'map',
  backend: BackendName = 'threads',
): Promise<Sample> {
  const pool = new Pool({ backend, workers: params.workers });
  try {
    const items = range(params.tasks);
    const { ms, result } = await timed(() =>
      style === 'map'
        ? pool.map(benchTasks.inc, items)
        : Promise.all(items.map((n) => pool.submit(benchTasks.inc, n).get())),
    );
    expectEqual('sum of results', sum(result), expected(params.tasks));
    return { ms };
  } finally {
    await pool.terminate();
  }
}

async function withPeer(kind: PeerKind, params: MemoryParams): Promise<Sample> {
  const pool = await openPeer(kind, params.workers);
  try {
    const items = range(params.tasks);
    const { ms, result } = await timed(() => Promise.all(items.map((n) => pool.run('inc', n))));
    expectEqual('sum of results', sum(result), expected(params.tasks));
    return { ms };
  } finally {
    await pool.destroy();
  }
}

const peer = (kind: PeerKind): Contender<MemoryParams> => ({
  id: kind,
  label: PEER_LABELS[kind],
  run: (params) => withPeer(kind, params),
});

export const scenario: Scenario<MemoryParams> = {
  id: 'queued-memory',
  title: 'Memory: peak RSS of the process tree with 100,000 tiny tasks queued, 2 workers',
  method:
    'Each contender in a fresh process submits every task at once and waits for all; the runner samples the RSS of the process and its descendants.',
  unit: 'MiB',
  higherIsBetter: false,
  metric: 'peak-rss',
  baseline: 'piscina',
  timeoutMs: 120_000,
  params: (quick) => ({ tasks: quick ? 20_000 : 100_000, workers: 2 }),
  contenders: [
    {
      id: 'taskmill-threads-submit',
      label: 'taskmill threads, submit() each',
      target: { max: 120 },
      run: (p) => withTaskmill(p, 'submit'),
    },
    {
      id: 'taskmill-threads-map',
      label: 'taskmill threads, map()',
      target: { max: 120 },
      run: (p) => withTaskmill(p, 'map'),
    },
    {
      id: 'taskmill-processes-submit',
      label: 'taskmill processes, submit() each',
      target: { max: 120 },
      run: (p) => withTaskmill(p, 'submit', 'processes'),
    },
    peer('piscina'),
    peer('workerpool-thread'),
    {
      id: 'python-pool-apply',
      label: 'Python multiprocessing, apply_async each',
      run: async (params) => {
        const { ms, check } = await runPythonPool('apply', params.tasks, params.workers);
        expectEqual('sum of results', check, expected(params.tasks));
        return { ms };
      },
    },
    {
      id: 'node-floor',
      label: 'bare node process (floor, no pool)',
      run: async () => ({ ms: 0 }),
    },
  ],
};
