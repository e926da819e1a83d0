/**
 * A misspelled option is refused at the call, naming the closest valid key, and the pool keeps
 * working: Pool constructor options, `.with()` call options and map options, on every local
 * backend.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BackendName } from '../core/backend.js';
import { InvalidArgumentError } from '../core/errors.js';
import { taskRef, tasks } from '../core/task.js';
import type * as MathTasks from './fixtures/math-tasks.js';
import { Pool } from './pool.js';

const t = tasks<typeof MathTasks>(new URL('./fixtures/math-tasks.js', import.meta.url));
const BACKENDS: BackendName[] = ['sequential', 'async', 'threads', 'processes'];

/** A checker for assert.throws/rejects: InvalidArgumentError, its code, and the message's parts. */
function refused(where: string, key: string, closest: string) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof InvalidArgumentError, `not an InvalidArgumentError: ${String(error)}`);
    assert.equal(error.code, 'ERR_TASKMILL_INVALID_ARGUMENT');
    assert.match(error.message, new RegExp(`^${where.replace(/[.()]/g, '\\$&')} has no option "${key}"`));
    assert.ok(error.message.includes(`did you mean "${closest}"?`), error.message);
    return true;
  };
}

describe('unknown option keys are refused', { timeout: 120_000 }, () => {
  for (const backend of BACKENDS) {
    describe(backend, () => {
      it('Pool options: a misspelled key names the closest one', () => {
        assert.throws(
          () => new Pool({ backend, workers: 1, concurency: 2 } as never),
          refused('Pool options', 'concurency', 'concurrency'),
        );
        assert.throws(
          () => new Pool({ backend, workers: 1, maxQue: 2 } as never),
          refused('Pool options', 'maxQue', 'maxQueue'),
        );
        assert.throws(
          () => new Pool({ backend, resourceLimits: { maxOldGenerationSizeMB: 64 } } as never),
          refused('Pool option resourceLimits', 'maxOldGenerationSizeMB', 'maxOldGenerationSizeMb'),
        );
      });

      it('call options (.with) and map options are refused at the call; the pool keeps working', async () => {
        await using pool = new Pool({ backend, workers: 1 });
        assert.throws(
          () => t.square.with({ timout: 100 } as never),
          refused('square.with() options', 'timout', 'timeout'),
        );
        assert.throws(
          () => t.square.with({ singal: AbortSignal.abort() } as never),
          refused('square.with() options', 'singal', 'signal'),
        );
        // Python's spelling, chunksize, for chunkSize.
        await assert.rejects(
          async () => pool.map(t.square, [1, 2, 3], { chunksize: 2 } as never),
          refused('map options', 'chunksize', 'chunkSize'),
        );
        for (const method of ['mapSettled', 'starmap'] as const) {
          const input = method === 'starmap' ? [[1, 2]] : [1];
          await assert.rejects(
            async () => (pool[method] as (...a: unknown[]) => Promise<unknown>)(t.add, input, { timeOut: 5 }),
            refused('map options', 'timeOut', 'timeout'),
          );
        }
        await assert.rejects(
          async () => {
            for await (const _ of pool.imap(t.square, [1], { onresult: () => {} } as never));
          },
          refused('map options', 'onresult', 'onResult'),
        );
        await assert.rejects(
          async () => {
            for await (const _ of pool.imapUnordered(t.square, [1], { signl: AbortSignal.abort() } as never));
          },
          refused('map options', 'signl', 'signal'),
        );
        // Nothing was refused that should not have been, and the pool still runs every kind of call.
        assert.equal(await pool.apply(t.square.with({ timeout: 60_000 }), 7), 49);
        assert.deepEqual(await pool.map(t.square, [1, 2, 3], { chunkSize: 2, timeout: 60_000 }), [1, 4, 9]);
        assert.equal(await pool.submit(t.add, 2, 3).get(), 5);
        const streamed: number[] = [];
        for await (const value of pool.imap(t.square, [4, 5])) streamed.push(value);
        assert.deepEqual(streamed, [16, 25]);
        assert.equal(pool.pending, 0);
      });
    });
  }

  it('tasks() and taskRef() options too', () => {
    const url = new URL('./fixtures/math-tasks.js', import.meta.url);
    assert.throws(() => tasks(url, { Id: 'math' } as never), refused('tasks() options', 'Id', 'id'));
    assert.throws(
      () => taskRef(url, 'square', { timeuot: 5 } as never),
      refused('taskRef() options', 'timeuot', 'timeout'),
    );
    assert.equal(taskRef(url, 'square', { id: 'math', timeout: 5 }).options.timeout, 5);
  });
});
