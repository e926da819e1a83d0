/** parallel() refuses option keys it does not know (its own and its `pool`'s), naming the closest. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError, parallel, tasks } from '../index.js';
import type * as Work from './fixtures/work-tasks.js';

const t = tasks<typeof Work>(new URL('./fixtures/work-tasks.js', import.meta.url));

function refused(where: string, key: string, closest: string) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof InvalidArgumentError, `not an InvalidArgumentError: ${String(error)}`);
    assert.equal(error.code, 'ERR_TASKMILL_INVALID_ARGUMENT');
    assert.ok(error.message.startsWith(`${where} has no option "${key}"`), error.message);
    assert.ok(error.message.includes(`did you mean "${closest}"?`), error.message);
    return true;
  };
}

describe('parallel(): unknown option keys', { timeout: 60_000 }, () => {
  it('its own options, the pool options it passes on, and the keys that are its own', async () => {
    for (const backend of ['sequential', 'async', 'threads', 'processes'] as const) {
      await assert.rejects(
        parallel([1, 2], t.sleepThenEcho, { backend, job: 2 } as never),
        refused('parallel() options', 'job', 'jobs'),
      );
      await assert.rejects(
        parallel([1, 2], t.sleepThenEcho, { backend, chunksize: 1 } as never),
        refused('parallel() options', 'chunksize', 'chunkSize'),
      );
      await assert.rejects(
        parallel([1, 2], t.sleepThenEcho, { backend, pool: { idleTimout: 5 } } as never),
        refused('parallel() options.pool', 'idleTimout', 'idleTimeout'),
      );
      await assert.rejects(
        parallel([1, 2], t.sleepThenEcho, { backend, pool: { workers: 2 } } as never),
        (error: unknown) =>
          error instanceof InvalidArgumentError &&
          error.message.includes('options.pool cannot set "workers"') &&
          error.message.includes('{ backend, jobs }'),
      );
      assert.deepEqual(
        [
          ...(await parallel([1, 2], t.sleepThenEcho, {
            backend,
            jobs: 1,
            chunkSize: 1,
            pool: { idleTimeout: 5 },
          })),
        ],
        [1, 2],
      );
    }
  });
});
