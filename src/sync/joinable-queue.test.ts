import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { QueueClosedError, TaskDoneTooManyError, WaitAbortedError } from './errors.js';
import { JoinableQueue } from './joinable-queue.js';

/** Lets every pending callback and microtask run once. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function tracked<T>(promise: Promise<T>): { promise: Promise<T>; settled: () => boolean } {
  let settled = false;
  promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  return { promise, settled: () => settled };
}

describe('JoinableQueue', () => {
  it("the seeds' 26 letters: two consumers take every letter exactly once and the producer's join() waits for them", async () => {
    const queue = new JoinableQueue<string>({ maxSize: 4 });
    const taken: { consumer: number; letter: string }[] = [];
    let acknowledged = 0;
    const consume = async (consumer: number): Promise<void> => {
      for await (const letter of queue) {
        try {
          taken.push({ consumer, letter });
          await turn(); // the "work" on this letter
          acknowledged++;
        } finally {
          queue.taskDone();
        }
      }
    };
    const consumers = [consume(1), consume(2)];
    const letters = Array.from({ length: 26 }, (_, i) => String.fromCharCode(97 + i));
    for (const letter of letters) await queue.put(letter);
    await queue.join();
    assert.equal(acknowledged, 26, 'join() resolved only after every letter was handled');
    queue.close();
    await Promise.all(consumers);

    assert.deepEqual(taken.map((t) => t.letter).sort(), letters);
    assert.equal(new Set(taken.map((t) => t.letter)).size, 26, 'no letter taken twice');
    assert.ok(
      taken.some((t) => t.consumer === 1) && taken.some((t) => t.consumer === 2),
      'both consumers worked',
    );
  });

  it('put waits while the queue is full and goes in when a get makes room', async () => {
    const queue = new JoinableQueue<number>({ maxSize: 2 });
    await queue.put(1);
    await queue.put(2);
    const third = tracked(queue.put(3));
    await turn();
    assert.equal(third.settled(), false);
    assert.equal(queue.size, 2);
    assert.equal(queue.tryPut(4), false);
    assert.equal(await queue.get(), 1);
    await third.promise;
    assert.equal(queue.size, 2);
    assert.deepEqual([await queue.get(), await queue.get()], [2, 3]);
  });

  it('get waits while the queue is empty and receives the next item put', async () => {
    const queue = new JoinableQueue<string>();
    const first = tracked(queue.get());
    const second = queue.get();
    await turn();
    assert.equal(first.settled(), false);
    await queue.put('x');
    await queue.put('y');
    assert.equal(await first.promise, 'x');
    assert.equal(await second, 'y');
  });

  it('join waits for taskDone of every item, and taskDone beyond that is an error', async () => {
    const queue = new JoinableQueue<number>();
    await queue.join(); // nothing put: resolves at once
    await queue.put(1);
    await queue.put(2);
    const joined = tracked(queue.join());
    await queue.get();
    await queue.get();
    queue.taskDone();
    await turn();
    assert.equal(joined.settled(), false, 'one item is still unfinished');
    assert.equal(queue.unfinished, 1);
    queue.taskDone();
    await joined.promise;
    assert.throws(() => queue.taskDone(), TaskDoneTooManyError);
  });

  it('close refuses new and waiting puts, lets consumers drain, then ends iteration and waiting gets', async () => {
    const queue = new JoinableQueue<string>({ maxSize: 1 });
    await queue.put('kept');
    const blockedPut = queue.put('refused');
    queue.close();
    await assert.rejects(blockedPut, QueueClosedError);
    await assert.rejects(queue.put('late'), { code: 'ERR_TASKMILL_QUEUE_CLOSED' });
    const seen: string[] = [];
    for await (const item of queue) {
      seen.push(item);
      queue.taskDone();
    }
    assert.deepEqual(seen, ['kept']);
    await assert.rejects(queue.get(), QueueClosedError);

    const empty = new JoinableQueue<string>();
    const waiting = empty.get();
    empty.close();
    await assert.rejects(waiting, QueueClosedError);
  });

  it('an aborted get leaves the line and the next item goes to the next getter', async () => {
    const queue = new JoinableQueue<number>();
    const controller = new AbortController();
    const aborted = queue.get({ signal: controller.signal });
    const next = queue.get();
    controller.abort(new Error('no longer needed'));
    await assert.rejects(aborted, (error: unknown) => {
      assert.ok(error instanceof WaitAbortedError);
      assert.match(error.message, /queue\.get\(\) was aborted: no longer needed/);
      return true;
    });
    await queue.put(7);
    assert.equal(await next, 7);
    assert.equal(queue.size, 0);
  });

  it('an aborted put does not add its item', async () => {
    const queue = new JoinableQueue<number>({ maxSize: 1 });
    await queue.put(1);
    const controller = new AbortController();
    const put = queue.put(2, { signal: controller.signal });
    controller.abort();
    await assert.rejects(put, WaitAbortedError);
    assert.equal(await queue.get(), 1);
    assert.equal(queue.size, 0);
    assert.equal(queue.unfinished, 1);
  });

  it('refuses a maxSize that is not a positive integer', () => {
    assert.throws(() => new JoinableQueue({ maxSize: 0 }), { code: 'ERR_TASKMILL_INVALID_ARGUMENT' });
    assert.throws(() => new JoinableQueue({ maxSize: 1.5 }), /maxSize must be a positive integer/);
  });
});
