/**
 * The peer libraries behind one small interface, so a scenario states what it runs, not how
 * each library is driven. Each library is imported only when its pool is opened: a child
 * process running one contender loads one library.
 */
import { fileURLToPath } from 'node:url';

export type PeerKind =
  | 'piscina'
  | 'piscina-4'
  | 'tinypool-threads'
  | 'tinypool-process'
  | 'workerpool-thread'
  | 'workerpool-process';

export type TaskName = 'inc' | 'fib' | 'payloadSize' | 'sleep';

export interface PeerPool {
  /** Runs the named bench task; `move` transfers the payload's buffer where the library can. */
  run(task: TaskName, arg: unknown, options?: { move?: boolean }): Promise<unknown>;
  destroy(): Promise<void>;
}

const TASKS_URL = new URL('../tasks/bench-tasks.js', import.meta.url);
const WORKERPOOL_SCRIPT = fileURLToPath(new URL('../tasks/workerpool-worker.js', import.meta.url));

export const PEER_LABELS: Record<PeerKind, string> = {
  piscina: 'Piscina',
  'piscina-4': 'Piscina, 4 in flight/worker',
  'tinypool-threads': 'tinypool threads',
  'tinypool-process': 'tinypool child_process',
  'workerpool-thread': 'workerpool thread',
  'workerpool-process': 'workerpool process',
};

/** Loads the peer's library, so that a measurement can start after the import. */
export async function preloadPeer(kind: PeerKind): Promise<void> {
  if (kind.startsWith('piscina')) await import('piscina');
  else if (kind.startsWith('tinypool')) await import('tinypool');
  else await import('workerpool');
}

export async function openPeer(kind: PeerKind, workers: number): Promise<PeerPool> {
  switch (kind) {
    case 'piscina':
    case 'piscina-4':
      return openPiscina(workers, kind === 'piscina-4' ? 4 : 1);
    case 'tinypool-threads':
    case 'tinypool-process':
      return openTinypool(workers, kind === 'tinypool-threads' ? 'worker_threads' : 'child_process');
    case 'workerpool-thread':
    case 'workerpool-process':
      return openWorkerpool(workers, kind === 'workerpool-thread' ? 'thread' : 'process');
  }
}

async function openPiscina(workers: number, perWorker: number): Promise<PeerPool> {
  const { Piscina } = await import('piscina');
  const pool = new Piscina({
    filename: TASKS_URL.href,
    minThreads: workers,
    maxThreads: workers,
    concurrentTasksPerWorker: perWorker,
  });
  return {
    run: (name, arg, options) =>
      pool.run(options?.move ? Piscina.move(arg as ArrayBufferView) : arg, { name }),
    destroy: () => pool.destroy(),
  };
}

async function openTinypool(workers: number, runtime: 'worker_threads' | 'child_process'): Promise<PeerPool> {
  const { Tinypool } = await import('tinypool');
  const pool = new Tinypool({ filename: TASKS_URL.href, minThreads: workers, maxThreads: workers, runtime });
  return {
    run: (name, arg, options) =>
      pool.run(options?.move ? Tinypool.move(arg as ArrayBufferView) : arg, { name }),
    destroy: () => pool.destroy(),
  };
}

async function openWorkerpool(workers: number, workerType: 'thread' | 'process'): Promise<PeerPool> {
  const { default: workerpool } = await import('workerpool');
  const pool = workerpool.pool(WORKERPOOL_SCRIPT, {
    minWorkers: workers,
    maxWorkers: workers,
    workerType,
    // Without it, process workers send a Uint8Array as JSON (an object of a million keys).
    forkOpts: { serialization: 'advanced' },
  });
  return {
    run: (name, arg, options) => {
      const buffer = (arg as ArrayBufferView | undefined)?.buffer;
      return pool.exec(
        name,
        [arg],
        options?.move && workerType === 'thread' && buffer instanceof ArrayBuffer
          ? { transfer: [buffer] }
          : {},
      ) as Promise<unknown>;
    },
    destroy: async () => {
      await pool.terminate();
    },
  };
}
