/**
 * Issue 2, tiny tasks: 100,000 calls of `n => n + 1`, all submitted at once, 2 workers.
 * Every figure is pure per-task overhead. Pools are started and warmed (one task per worker
 * slot, twice) before the clock starts; the clock stops when every result is in.
 */
import { type BackendName, Pool } from 'taskmill';
import type { Contender, Sample, Scenario } from '../../harness/types.js';
import { openPeer, PEER_LABELS, type PeerKind } from '../peers/peer-pools.js';
import { runPythonPool } from '../peers/python-pool.js';
import { benchTasks } from '../tasks/bench-task-refs.js';
import { inc } from '../tasks/bench-tasks.js';
import { expectEqual, perSecond, range, sum, timed } from './measure.js';

export interface TinyParams {
  readonly tasks: number;
  readonly workers: number;
  /** p-queue / p-limit / taskmill async concurrency. */
  readonly concurrency: number;
}

const expected = (n: number) => (n * (n - 1)) / 2 + n;

async function withTaskmill(
  backend: BackendName,
  params: TinyParams,
  style: 'map' | 'submit',
): Promise<Sample> {
  const pool = new Pool(
    backend === 'async' ? { backend, concurrency: params.concurrency } : { backend, workers: params.workers },
  );
  try {
    await Promise.all(range(params.workers * 2).map((n) => pool.apply(benchTasks.inc, n)));
    const items = range(params.tasks);
    const { ms, result } = await timed(() =>
      style === 'map'
        ? pool.map(benchTasks.inc, items)
        : Promise.all(items.map((n) => pool.submit(benchTasks.inc, n).get())),
    );
    expectEqual('sum of results', sum(result), expected(params.tasks));
    return { value: perSecond(params.tasks, ms), ms };
  } finally {
    await pool.terminate();
  }
}

async function withPeer(kind: PeerKind, params: TinyParams): Promise<Sample> {
  const pool = await openPeer(kind, params.workers);
  try {
    await Promise.all(range(params.workers * 2).map((n) => pool.run('inc', n)));
    const items = range(params.tasks);
    const { ms, result } = await timed(() => Promise.all(items.map((n) => pool.run('inc', n))));
    expectEqual('sum of results', sum(result), expected(params.tasks));
    return { value: perSecond(params.tasks, ms), ms };
  } finally {
    await pool.destroy();
  }
}

async function withLimiter(kind: 'p-queue' | 'p-limit', params: TinyParams): Promise<Sample> {
  let run: (n: number) => Promise<number>;
  if (kind === 'p-queue') {
    const { default: PQueue } = await import('p-queue');
    const queue = new PQueue({ concurrency: params.concurrency });
    run = (n) => queue.add(() => inc(n)) as Promise<number>;
  } else {
    const { default: pLimit } = await import('p-limit');
    const limit = pLimit(params.concurrency);
    run = (n) => limit(() => inc(n));
  }
  await Promise.all(range(params.workers * 2).map(run));
  const items = range(params.tasks);
  const { ms, result } = await timed(() => Promise.all(items.map(run)));
  expectEqual('sum of results', sum(result), expected(params.tasks));
  return { value: perSecond(params.tasks, ms), ms };
}

async function withPython(step: 'map' | 'apply', params: TinyParams): Promise<Sample> {
  const { ms, check } = await runPythonPool(step, params.tasks, params.workers);
  expectEqual('sum of results', check, expected(params.tasks));
  return { value: perSecond(params.tasks, ms), ms };
}

const threadPeers = ['piscina', 'piscina-4', 'tinypool-threads', 'workerpool-thread'];
const processPeers = ['tinypool-process', 'workerpool-process'];
/** The peer for `map` on both backends: Python's Pool.map with its default chunksize. */
const pythonMap = 'python-pool-map';
const asyncPeers = ['p-queue', 'p-limit'];

const peer = (kind: PeerKind): Contender<TinyParams> => ({
  id: kind,
  label: PEER_LABELS[kind],
  run: (params) => withPeer(kind, params),
});

export const scenario: Scenario<TinyParams> = {
  id: 'tiny-tasks',
  title: 'Tiny tasks: n => n + 1, all submitted at once, 2 workers',
  method:
    'Each contender in a fresh process: pool started and warmed, then N calls submitted at once; clock stops at the last result (sum checked).',
  unit: 'tasks/s',
  higherIsBetter: true,
  baseline: 'piscina',
  timeoutMs: 120_000,
  params: (quick) => ({ tasks: quick ? 20_000 : 100_000, workers: 2, concurrency: 64 }),
  contenders: [
    {
      id: 'taskmill-threads-map',
      label: 'taskmill threads map',
      compareTo: pythonMap,
      ratioTarget: { min: 1.5 },
      run: (p) => withTaskmill('threads', p, 'map'),
    },
    {
      id: 'taskmill-threads-submit',
      label: 'taskmill threads submit',
      compareTo: threadPeers,
      target: { min: 150_000 },
      run: (p) => withTaskmill('threads', p, 'submit'),
    },
    {
      id: 'taskmill-processes-map',
      label: 'taskmill processes map',
      compareTo: pythonMap,
      ratioTarget: { min: 1.5 },
      run: (p) => withTaskmill('processes', p, 'map'),
    },
    {
      id: 'taskmill-processes-submit',
      label: 'taskmill processes submit',
      compareTo: [...processPeers, 'python-pool-apply'],
      target: { min: 65_000 },
      run: (p) => withTaskmill('processes', p, 'submit'),
    },
    {
      id: 'taskmill-async-map',
      label: 'taskmill async map',
      compareTo: asyncPeers,
      run: (p) => withTaskmill('async', p, 'map'),
    },
    {
      id: 'taskmill-async-submit',
      label: 'taskmill async submit',
      compareTo: asyncPeers,
      target: { min: 500_000 },
      run: (p) => withTaskmill('async', p, 'submit'),
    },
    peer('piscina'),
    peer('piscina-4'),
    peer('tinypool-threads'),
    peer('tinypool-process'),
    peer('workerpool-thread'),
    peer('workerpool-process'),
    {
      id: pythonMap,
      label: 'Python multiprocessing Pool.map (default chunksize)',
      run: (p) => withPython('map', p),
    },
    {
      id: 'python-pool-apply',
      label: 'Python multiprocessing apply_async each',
      run: (p) => withPython('apply', p),
    },
    { id: 'p-queue', label: 'p-queue, concurrency 64', run: (p) => withLimiter('p-queue', p) },
    { id: 'p-limit', label: 'p-limit, concurrency 64', run: (p) => withLimiter('p-limit', p) },
    {
      id: 'inline',
      label: 'inline loop (no pool)',
      run: async (params) => {
        const out = new Array<number>(params.tasks);
        const loop = () => {
          for (let i = 0; i < params.tasks; i++) out[i] = inc(i);
        };
        loop(); // warm-up, as the pools are warmed
        const { ms } = await timed(loop);
        expectEqual('sum of results', sum(out), expected(params.tasks));
        return { value: perSecond(params.tasks, ms), ms };
      },
    },
  ],
};
