/**
 * Issue 2, big payloads: 2,000 tasks each carrying 1 MiB, 2 workers. Each task reads both ends
 * of its buffer and returns its length. The buffers are allocated and filled before the clock
 * starts (so memory bandwidth for the data itself is not counted, only getting it across);
 * moved buffers cross without a copy, others are copied.
 */
import { type BackendName, move, Pool } from 'taskmill';
import type { Contender, Sample, Scenario } from '../../harness/types.js';
import { openPeer, PEER_LABELS, type PeerKind } from '../peers/peer-pools.js';
import { benchTasks } from '../tasks/bench-task-refs.js';
import { expectEqual, range, sum, timed } from './measure.js';

export interface PayloadParams {
  readonly tasks: number;
  readonly mib: number;
  readonly workers: number;
}

function makePayloads(params: PayloadParams): { buffers: Uint8Array[]; expected: number } {
  const size = params.mib * 2 ** 20;
  const buffers: Uint8Array[] = [];
  let expected = 0;
  for (let i = 0; i < params.tasks; i++) {
    const bytes = new Uint8Array(size).fill(i & 255);
    buffers.push(bytes);
    expected += size + 2 * (i & 255);
  }
  return { buffers, expected };
}

const mibPerSecond = (params: PayloadParams, ms: number) => (params.tasks * params.mib) / (ms / 1000);

async function withTaskmill(backend: BackendName, params: PayloadParams, moved: boolean): Promise<Sample> {
  const pool = new Pool({ backend, workers: params.workers });
  try {
    await Promise.all(range(params.workers * 2).map((n) => pool.apply(benchTasks.inc, n)));
    const { buffers, expected } = makePayloads(params);
    const { ms, result } = await timed(() =>
      Promise.all(
        buffers.map((bytes) => pool.submit(benchTasks.payloadSize, moved ? move(bytes) : bytes).get()),
      ),
    );
    expectEqual('sum of results', sum(result), expected);
    return { value: mibPerSecond(params, ms), ms };
  } finally {
    await pool.terminate();
  }
}

async function withPeer(kind: PeerKind, params: PayloadParams, moved: boolean): Promise<Sample> {
  const pool = await openPeer(kind, params.workers);
  try {
    await Promise.all(range(params.workers * 2).map((n) => pool.run('inc', n)));
    const { buffers, expected } = makePayloads(params);
    const { ms, result } = await timed(() =>
      Promise.all(buffers.map((bytes) => pool.run('payloadSize', bytes, { move: moved }))),
    );
    expectEqual('sum of results', sum(result), expected);
    return { value: mibPerSecond(params, ms), ms };
  } finally {
    await pool.destroy();
  }
}

const peer = (kind: PeerKind, moved: boolean): Contender<PayloadParams> => ({
  id: `${kind}${moved ? '-move' : ''}`,
  label: `${PEER_LABELS[kind]}${moved ? ', moved' : ', copied'}`,
  run: (params) => withPeer(kind, params, moved),
});

export const scenario: Scenario<PayloadParams> = {
  id: 'big-payloads',
  title: 'Big payloads: 2,000 tasks each carrying 1 MiB, 2 workers',
  method:
    'Each contender in a fresh process: pool started and warmed, buffers filled, then all tasks at once; MiB/s of payload delivered (each task reads both ends).',
  unit: 'MiB/s',
  higherIsBetter: true,
  baseline: 'tinypool-threads-move',
  timeoutMs: 180_000,
  params: (quick) => ({ tasks: quick ? 200 : 2_000, mib: 1, workers: 2 }),
  contenders: [
    {
      id: 'taskmill-threads-move',
      label: 'taskmill threads, move()',
      target: { min: 7_500 },
      run: (p) => withTaskmill('threads', p, true),
    },
    {
      id: 'taskmill-threads-copy',
      label: 'taskmill threads, copied',
      // Issue 11: copied 1 MiB payloads at >= 1.2x the best peer that copies them too.
      compareTo: ['piscina', 'tinypool-threads', 'workerpool-thread'],
      ratioTarget: { min: 1.2 },
      run: (p) => withTaskmill('threads', p, false),
    },
    {
      id: 'taskmill-processes',
      label: 'taskmill processes',
      compareTo: 'workerpool-process',
      target: { min: 2_500 },
      run: (p) => withTaskmill('processes', p, false),
    },
    peer('tinypool-threads', true),
    peer('piscina', true),
    peer('workerpool-thread', true),
    peer('piscina', false),
    peer('tinypool-threads', false),
    peer('workerpool-thread', false),
    peer('workerpool-process', false),
  ],
};
