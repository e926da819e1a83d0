/**
 * "Every call settles", as a suite every backend runs (through describePoolContract): calls
 * accepted before close() complete; join() waits for the calls made before it, in the same tick
 * or later; a full queue delays calls but close() does not drop them; nothing is left pending.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Pool, PoolClosedError, type PoolOptions } from '../../index.js';
import { mathTasks as t } from './pool-contract.js';

const squares = (n: number) => Array.from({ length: n }, (_, i) => i * i);

async function drain<T>(iterator: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const value of iterator) out.push(value);
  return out;
}

/** Settles with a record of the outcome, so a test can check what had settled at some moment. */
function observe<T>(promise: Promise<T>): { settled: boolean; promise: Promise<T> } {
  const observed = { settled: false, promise };
  promise.then(
    () => {
      observed.settled = true;
    },
    () => {
      observed.settled = true;
    },
  );
  return observed;
}

export function describeSettlingContract(backend: string, make: (options?: PoolOptions) => Pool): void {
  describe(`every call settles on the ${backend} backend`, () => {
    it('the map family issued in the same tick as close() runs to completion; join() waits for it', async () => {
      const pool = make();
      const input = Array.from({ length: 300 }, (_, i) => i);
      const mapped = observe(pool.map(t.square, input));
      const starred = observe(pool.starmap(t.add, [[1, 2] as [number, number], [3, 4]]));
      const settled = observe(pool.mapSettled(t.failOn, [1, 2, 3]));
      const ordered = observe(drain(pool.imap(t.square, input)));
      const unordered = observe(drain(pool.imapUnordered(t.square, input)));
      const applied = observe(pool.apply(t.square, 12));
      pool.close();
      assert.throws(() => pool.submit(t.square, 1), PoolClosedError);
      await pool.join();
      // The calls have settled; an imap's consumer may still be reading what it delivered.
      for (const each of [mapped, starred, settled, applied]) assert.equal(each.settled, true);
      assert.deepEqual(await mapped.promise, squares(300));
      assert.deepEqual(await starred.promise, [3, 7]);
      assert.deepEqual(
        (await settled.promise).map((s) => s.status),
        ['fulfilled', 'fulfilled', 'rejected'],
      );
      assert.deepEqual(await ordered.promise, squares(300));
      assert.deepEqual(
        (await unordered.promise).sort((a, b) => a - b),
        squares(300),
      );
      assert.equal(await applied.promise, 144);
    });

    it('join() without close(), in the same tick as a map, resolves only after the map', async () => {
      const pool = make();
      try {
        const mapped = observe(pool.map(t.slowDouble, [1, 2, 3, 4, 5, 6, 7, 8]));
        const job = pool.submit(t.slowDouble, 21);
        await pool.join();
        assert.equal(mapped.settled, true);
        assert.equal(job.ready(), true);
        assert.deepEqual(await mapped.promise, [2, 4, 6, 8, 10, 12, 14, 16]);
        // The pool stays open: join() is not close().
        assert.equal(await pool.apply(t.square, 5), 25);
      } finally {
        pool.close();
        await pool.join();
      }
    });

    it('join() waits for the calls made before it, not for those made after', async () => {
      const pool = make();
      try {
        const release = new AbortController();
        const before = observe(pool.apply(t.slowDouble, 1));
        const joined = pool.join().then(() => before.settled);
        // Made after join(): held open until the join has resolved.
        const after = pool.apply(t.waitForAbort.with({ signal: release.signal }));
        after.catch(() => {});
        assert.equal(await joined, true);
        release.abort();
        await assert.rejects(after, { code: 'ERR_TASKMILL_ABORTED' });
      } finally {
        pool.close();
        await pool.join();
      }
    });

    it('close() while an imap is being consumed lets it deliver every result', async () => {
      const pool = make();
      const input = Array.from({ length: 200 }, (_, i) => i);
      const seen: number[] = [];
      for await (const value of pool.imap(t.square, input)) {
        seen.push(value);
        if (seen.length === 3) pool.close();
      }
      assert.deepEqual(seen, squares(200));
      await pool.join();
    });

    it('close() during a map over an async iterable lets it read and run the rest', async () => {
      const pool = make();
      let closed = false;
      async function* source() {
        for (let i = 0; i < 40; i++) {
          if (i === 5 && !closed) {
            closed = true;
            pool.close();
          }
          await new Promise((resolve) => setImmediate(resolve));
          yield i;
        }
      }
      assert.deepEqual(await pool.map(t.square, source()), squares(40));
      assert.equal(closed, true);
      await pool.join();
    });

    it('apply() calls waiting for room under maxQueue all complete when close() comes before they start', async () => {
      const pool = make({ maxQueue: 1 });
      const calls = Array.from({ length: 80 }, (_, i) => pool.apply(t.square, i));
      pool.close();
      assert.deepEqual(await Promise.all(calls), squares(80));
      await pool.join();
    });

    it('terminate() settles every kind of call, the ones waiting for room included', async () => {
      const pool = make({ maxQueue: 1 });
      const calls: Promise<unknown>[] = [
        ...Array.from({ length: 20 }, () => pool.apply(t.waitForAbort)),
        pool.map(t.waitForAbort, [1, 2, 3]),
        drain(pool.imap(t.waitForAbort, [1, 2])),
      ];
      const outcomes = Promise.allSettled(calls);
      await new Promise((resolve) => setImmediate(resolve));
      await pool.terminate();
      for (const outcome of await outcomes) {
        assert.equal(outcome.status, 'rejected');
        assert.equal((outcome.reason as { code?: string }).code, 'ERR_TASKMILL_ABORTED');
      }
      assert.equal(pool.pending, 0);
    });
  });
}
