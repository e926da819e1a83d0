/**
 * Issue 2, startup: a pool of 2 started, one task run, the pool destroyed, timed inside a fresh
 * process from just before the pool's construction to just after its destruction (library
 * imports happen before the clock starts). A cold start: nothing was warmed.
 */
import { type BackendName, Pool } from 'taskmill';
import type { Contender, Sample, Scenario } from '../../harness/types.js';
import { openPeer, PEER_LABELS, type PeerKind, preloadPeer } from '../peers/peer-pools.js';
import { benchTasks } from '../tasks/bench-task-refs.js';
import { expectEqual, timed } from './measure.js';

export interface StartupParams {
  readonly workers: number;
}

async function withTaskmill(
  backend: BackendName,
  params: StartupParams,
  end: 'close' | 'terminate',
): Promise<Sample> {
  const { ms, result } = await timed(async () => {
    const pool = new Pool({ backend, workers: params.workers });
    const value = await pool.apply(benchTasks.inc, 41);
    if (end === 'close') {
      pool.close();
      await pool.join();
    } else {
      await pool.terminate();
    }
    return value;
  });
  expectEqual('result', result, 42);
  return { value: ms, ms };
}

async function withPeer(kind: PeerKind, params: StartupParams): Promise<Sample> {
  await preloadPeer(kind);
  const { ms, result } = await timed(async () => {
    const pool = await openPeer(kind, params.workers);
    const value = await pool.run('inc', 41);
    await pool.destroy();
    return value;
  });
  expectEqual('result', result, 42);
  return { value: ms, ms };
}

const peer = (kind: PeerKind): Contender<StartupParams> => ({
  id: kind,
  label: PEER_LABELS[kind],
  run: (params) => withPeer(kind, params),
});

export const scenario: Scenario<StartupParams> = {
  id: 'startup',
  title: 'Startup: pool of 2 started, one task run, pool destroyed',
  method:
    'Timed inside a fresh process, from before the pool is constructed to after it is destroyed (imports done before).',
  unit: 'ms',
  higherIsBetter: false,
  baseline: 'piscina',
  timeoutMs: 60_000,
  params: () => ({ workers: 2 }),
  contenders: [
    {
      id: 'taskmill-threads-close',
      label: 'taskmill threads, close()+join()',
      target: { max: 25 },
      run: (p) => withTaskmill('threads', p, 'close'),
    },
    {
      id: 'taskmill-threads-terminate',
      label: 'taskmill threads, terminate()',
      target: { max: 25 },
      run: (p) => withTaskmill('threads', p, 'terminate'),
    },
    {
      id: 'taskmill-processes-close',
      label: 'taskmill processes, close()+join()',
      compareTo: 'workerpool-process',
      target: { max: 40 },
      run: (p) => withTaskmill('processes', p, 'close'),
    },
    {
      id: 'taskmill-processes-terminate',
      label: 'taskmill processes, terminate()',
      compareTo: 'workerpool-process',
      target: { max: 40 },
      run: (p) => withTaskmill('processes', p, 'terminate'),
    },
    peer('piscina'),
    peer('tinypool-threads'),
    peer('tinypool-process'),
    peer('workerpool-thread'),
    peer('workerpool-process'),
  ],
};
