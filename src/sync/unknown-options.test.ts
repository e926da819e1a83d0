/** The sync primitives refuse option keys they do not know, naming the closest valid one. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from '../core/errors.js';
import { JoinableQueue } from './joinable-queue.js';
import { Lock } from './lock.js';
import { Semaphore } from './semaphore.js';

function refused(where: string, key: string, closest: string) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof InvalidArgumentError, `not an InvalidArgumentError: ${String(error)}`);
    assert.equal(error.code, 'ERR_TASKMILL_INVALID_ARGUMENT');
    assert.ok(error.message.startsWith(`${where} has no option "${key}"`), error.message);
    assert.ok(error.message.includes(`did you mean "${closest}"?`), error.message);
    return true;
  };
}

describe('sync: unknown option keys', { timeout: 10_000 }, () => {
  it('JoinableQueue options and its put/get/join options; the queue keeps working', async () => {
    assert.throws(
      () => new JoinableQueue({ maxsize: 2 } as never),
      refused('JoinableQueue options', 'maxsize', 'maxSize'),
    );
    const queue = new JoinableQueue<number>({ maxSize: 2 });
    assert.throws(
      () => queue.put(1, { signl: undefined } as never),
      refused('queue.put() options', 'signl', 'signal'),
    );
    assert.throws(
      () => queue.get({ sigal: undefined } as never),
      refused('queue.get() options', 'sigal', 'signal'),
    );
    assert.throws(
      () => queue.join({ Signal: undefined } as never),
      refused('queue.join() options', 'Signal', 'signal'),
    );
    await queue.put(1);
    assert.equal(await queue.get(), 1);
    queue.taskDone();
    await queue.join();
  });

  it('Semaphore and Lock acquire options; both keep working', async () => {
    const semaphore = new Semaphore(1);
    assert.throws(
      () => semaphore.acquire({ singal: undefined } as never),
      refused('semaphore.acquire() options', 'singal', 'signal'),
    );
    const lock = new Lock();
    assert.throws(
      () => lock.acquire({ signals: undefined } as never),
      /has no option "signals": did you mean "signal"\?/,
    );
    (await semaphore.acquire())();
    assert.equal(await lock.withLock(() => 3), 3);
  });
});
