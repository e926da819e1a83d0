import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Pool, WorkerCrashedError } from '../../index.js';
import { describePoolContract, mathTasks } from '../../pool/testing/pool-contract.js';
import { describeWorkerBackend, workerTasks } from '../worker-runtime/testing/worker-backend-behaviour.js';

describePoolContract('threads');
describeWorkerBackend('threads');

describe('threads backend: resource limits', () => {
  it('a worker that runs out of memory fails its task; the others complete', async () => {
    await using pool = new Pool({
      backend: 'threads',
      workers: 2,
      resourceLimits: { maxOldGenerationSizeMb: 24 },
    });
    const hog = pool.submit(workerTasks.exhaustMemory);
    const others = pool.map(mathTasks.slowDouble, [1, 2, 3, 4]);
    const error = await hog.get().catch((e: unknown) => e);
    assert.ok(error instanceof WorkerCrashedError, String(error));
    assert.deepEqual(error.tasks, ['worker-tasks#exhaustMemory']);
    assert.deepEqual(await others, [2, 4, 6, 8]);
  });
});
