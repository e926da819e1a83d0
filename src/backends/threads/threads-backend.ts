/**
 * `threads` backend: tasks run in worker threads of this process. Arguments and results cross
 * by structured clone; buffers wrapped in move() are transferred, not copied. A stuck task is
 * stopped by ending its thread. See worker-runtime/worker-pool-backend.ts for the scheduling.
 */
import { Worker } from 'node:worker_threads';
import type { Backend, BackendOptions } from '../../core/backend.js';
import { newClaimTable } from '../worker-runtime/claim-table.js';
import { workerEntry } from '../worker-runtime/entry-location.js';
import type { WorkerEvents, WorkerFactory, WorkerHandle } from '../worker-runtime/worker-handle.js';
import { WorkerPoolBackend } from '../worker-runtime/worker-pool-backend.js';

type ResourceLimits = NonNullable<ConstructorParameters<typeof Worker>[1]>['resourceLimits'];

export function createThreadsBackend(options: BackendOptions): Backend {
  return new WorkerPoolBackend('threads', new ThreadFactory(options), options);
}

class ThreadFactory implements WorkerFactory {
  readonly what = 'worker thread';
  readonly canTransfer = true;
  readonly #resourceLimits: ResourceLimits | undefined;

  constructor(options: BackendOptions) {
    this.#resourceLimits = options.resourceLimits as ResourceLimits | undefined;
  }

  start(events: WorkerEvents): WorkerHandle {
    const claims = newClaimTable();
    const location = workerEntry('thread-entry');
    const worker = new Worker(location.start, {
      workerData: { claims: claims.buffer, taskmillEntry: location.entry },
      ...(this.#resourceLimits !== undefined ? { resourceLimits: this.#resourceLimits } : {}),
    });
    worker.on('message', events.message);
    worker.on('error', events.error);
    worker.on('messageerror', events.error);
    worker.on('exit', (code) => events.exit(code, null));
    return {
      id: worker.threadId,
      send(message, transfer) {
        if (transfer === undefined) worker.postMessage(message);
        else worker.postMessage(message, transfer);
      },
      claims,
      ref: () => worker.ref(),
      unref: () => worker.unref(),
      close: () => worker.postMessage(['close']),
      kill: () => {
        void worker.terminate();
      },
    };
  }
}
