/**
 * The behaviour every backend owes the Pool API, as a test suite each backend's tests run
 * against itself: the same calls give the same results whichever execution model runs them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type BackendName,
  Pool,
  PoolClosedError,
  type PoolOptions,
  QueueFullError,
  TaskAbortedError,
  TaskTimeoutError,
  tasks,
} from '../../index.js';
import type * as MathTasks from '../fixtures/math-tasks.js';
import { lazyWindow } from '../map-run.js';
import { describeSettlingContract } from './settling-contract.js';

export const mathTasks = tasks<typeof MathTasks>(new URL('../fixtures/math-tasks.js', import.meta.url));
const t = mathTasks;

export function describePoolContract(backend: BackendName, extra: Partial<PoolOptions> = {}): void {
  const make = (options: PoolOptions = {}) => new Pool({ backend, workers: 2, ...extra, ...options });

  describeSettlingContract(backend, make);

  describe(`Pool contract on the ${backend} backend`, () => {
    it('apply runs a task and resolves with its result', async () => {
      await using pool = make();
      assert.equal(await pool.apply(t.square, 7), 49);
      assert.equal(await pool.apply(t.add, 2, 3), 5);
      assert.equal(await pool.apply(t.slowDouble, 21), 42);
    });

    it('submit returns a job handle: ready, successful, get, wait', async () => {
      await using pool = make();
      const job = pool.submit(t.square, 9);
      assert.throws(() => job.successful(), /has not finished/);
      assert.equal(await job.get(), 81);
      assert.equal(job.ready(), true);
      assert.equal(job.successful(), true);
      const failing = pool.submit(t.fail, 'nope');
      await failing.wait();
      assert.equal(failing.ready(), true);
      assert.equal(failing.successful(), false);
    });

    it('map keeps input order, for arrays, iterables and async iterables', async () => {
      await using pool = make();
      const input = Array.from({ length: 500 }, (_, i) => i);
      assert.deepEqual(
        await pool.map(t.square, input),
        input.map((n) => n * n),
      );
      function* gen() {
        for (let i = 0; i < 50; i++) yield i;
      }
      assert.deepEqual(
        await pool.map(t.slowDouble, gen()),
        Array.from({ length: 50 }, (_, i) => i * 2),
      );
      async function* agen() {
        for (let i = 0; i < 20; i++) yield i;
      }
      assert.deepEqual(
        await pool.map(t.square, agen()),
        Array.from({ length: 20 }, (_, i) => i * i),
      );
      assert.deepEqual(await pool.map(t.square, []), []);
    });

    it('starmap spreads argument lists', async () => {
      await using pool = make();
      assert.deepEqual(
        await pool.starmap(t.add, [
          [1, 2],
          [3, 4],
          [5, 6],
        ]),
        [3, 7, 11],
      );
    });

    it('map rejects on the first failure; mapSettled reports every outcome', async () => {
      await using pool = make();
      await assert.rejects(pool.map(t.failOn, [1, 2, 3, 4, 5]), /three is not allowed/);
      const settled = await pool.mapSettled(t.failOn, [1, 2, 3, 4]);
      assert.deepEqual(
        settled.map((s) => s.status),
        ['fulfilled', 'fulfilled', 'rejected', 'fulfilled'],
      );
      const third = settled[2];
      assert.ok(third?.status === 'rejected' && /three is not allowed/.test(String(third.reason)));
    });

    it('imap yields in input order; imapUnordered yields every result', async () => {
      await using pool = make();
      const ordered: number[] = [];
      for await (const value of pool.imap(t.slowDouble, [1, 2, 3, 4, 5, 6])) ordered.push(value);
      assert.deepEqual(ordered, [2, 4, 6, 8, 10, 12]);
      const unordered: number[] = [];
      for await (const value of pool.imapUnordered(t.square, [1, 2, 3, 4])) unordered.push(value);
      assert.deepEqual(
        unordered.sort((a, b) => a - b),
        [1, 4, 9, 16],
      );
    });

    it('imap reads an endless input lazily and stops when the loop breaks', async () => {
      await using pool = make();
      let produced = 0;
      function* endless() {
        for (;;) yield produced++;
      }
      const seen: number[] = [];
      for await (const value of pool.imap(t.square, endless())) {
        seen.push(value);
        if (seen.length === 10) break;
      }
      assert.deepEqual(
        seen,
        Array.from({ length: 10 }, (_, i) => i * i),
      );
      // Read ahead at most the lazy window (and one batch) beyond the 10 taken.
      assert.ok(produced <= 10 + lazyWindow(64, 1024) + 1024, `read ${produced} items for 10 results`);
    });

    it('imap with a slow consumer reads a bounded window ahead, however long the input', async () => {
      await using pool = make();
      let produced = 0;
      function* endless() {
        for (;;) yield produced++;
      }
      let consumed = 0;
      let mostAhead = 0;
      for await (const value of pool.imap(t.square, endless())) {
        assert.equal(value, consumed * consumed);
        consumed++;
        mostAhead = Math.max(mostAhead, produced - consumed);
        // A slow consumer: every item costs it a turn of the event loop.
        await new Promise((resolve) => setImmediate(resolve));
        if (consumed === 3_000) break;
      }
      const parallelism = backend === 'async' || backend === 'redis' ? 64 : 2;
      assert.ok(
        mostAhead <= lazyWindow(parallelism, 1024) + 1024,
        `read up to ${mostAhead} items ahead of a consumer that took ${consumed}`,
      );
    });

    it('a task error keeps its class name, message, code, cause and task-side stack', async () => {
      await using pool = make();
      const error = await pool.apply(t.fail, 'bad input').then(
        () => assert.fail('should have thrown'),
        (e: unknown) => e as Error & { code?: string; cause?: Error },
      );
      // The class name survives (its `name` property is Error's, as the task's class left it).
      assert.equal(error.constructor.name, 'ValidationError');
      assert.equal(error.name, 'Error');
      assert.equal(error.message, 'bad input');
      assert.equal(error.code, 'E_VALIDATION');
      assert.ok(error instanceof Error);
      assert.equal(error.cause?.name, 'RangeError');
      assert.equal(error.cause?.message, 'inner cause');
      assert.match(String(error.stack), /math-tasks/);
    });

    it('an async task past its timeout fails with TaskTimeoutError', async () => {
      await using pool = make();
      await assert.rejects(pool.apply(t.waitForAbort.with({ timeout: 20 })), TaskTimeoutError);
      await assert.rejects(pool.map(t.waitForAbort, [1, 2], { timeout: 20 }), TaskTimeoutError);
      // The pool is still usable afterwards.
      assert.equal(await pool.apply(t.square, 3), 9);
    });

    it('an AbortSignal cancels one call, and job.cancel() cancels a job', async () => {
      await using pool = make();
      const controller = new AbortController();
      const pending = pool.apply(t.waitForAbort.with({ signal: controller.signal }));
      const job = pool.submit(t.waitForAbort);
      await new Promise((resolve) => setImmediate(resolve));
      controller.abort(new Error('user gave up'));
      await assert.rejects(pending, TaskAbortedError);
      assert.equal(job.cancel('no longer needed'), true);
      await assert.rejects(job.get(), TaskAbortedError);
      assert.equal(job.cancel(), false);
    });

    it('an AbortSignal cancels a whole map', async () => {
      await using pool = make();
      const controller = new AbortController();
      const running = pool.map(t.waitForAbort, [1, 2, 3, 4, 5, 6, 7, 8], { signal: controller.signal });
      await new Promise((resolve) => setImmediate(resolve));
      controller.abort();
      await assert.rejects(running, TaskAbortedError);
    });

    it('the initializer runs per worker and its result is the worker context', async () => {
      await using pool = make({ initializer: t.setup, initializerArgs: ['ctx'] });
      assert.deepEqual(await pool.apply(t.readContext), { prefix: 'ctx' });
    });

    it('tasks report progress as pool events and job events', async () => {
      await using pool = make();
      const events: (number | undefined)[] = [];
      pool.on('progress', (event) => events.push(event.fraction));
      const job = pool.submit(t.withProgress, 4);
      const jobEvents: string[] = [];
      job.onProgress((update) => jobEvents.push(String(update.message)));
      assert.equal(await job.get(), 4);
      assert.deepEqual(events, [0.25, 0.5, 0.75, 1]);
      assert.deepEqual(jobEvents, ['step 1', 'step 2', 'step 3', 'step 4']);
      assert.equal(job.progress?.fraction, 1);
    });

    it('after close(), submit is refused; join() waits for what was queued', async () => {
      const pool = make();
      const jobs = [1, 2, 3].map((n) => pool.submit(t.slowDouble, n));
      pool.close();
      assert.throws(() => pool.submit(t.square, 1), PoolClosedError);
      await pool.join();
      assert.deepEqual(
        jobs.map((j) => j.value),
        [2, 4, 6],
      );
    });

    it('terminate() rejects what is pending at once', async () => {
      const pool = make();
      const stuck = pool.submit(t.waitForAbort);
      const queued = Array.from({ length: 200 }, () => pool.submit(t.waitForAbort));
      await new Promise((resolve) => setImmediate(resolve));
      await pool.terminate();
      await assert.rejects(stuck.get(), TaskAbortedError);
      for (const job of queued) await assert.rejects(job.get(), TaskAbortedError);
      await assert.rejects(pool.apply(t.square, 1), PoolClosedError);
    });

    it('maxQueue bounds the queue: submit throws QueueFullError, apply waits for room', async () => {
      await using pool = make({ maxQueue: 2, concurrency: 1, workers: 1 });
      const controller = new AbortController();
      // Whatever the backend's slots, the queue fills once they are all taken by blockers.
      const blockers = [];
      do blockers.push(pool.submit(t.waitForAbort.with({ signal: controller.signal })));
      while (pool.queued === 0 && blockers.length < 10_000);
      const fillers: Promise<unknown>[] = [];
      while (pool.queued < 2 && fillers.length < 10_000) fillers.push(pool.submit(t.square, 2).get());
      assert.throws(
        () => pool.submit(t.square, 3),
        (error: unknown) => error instanceof QueueFullError && error.code === 'ERR_TASKMILL_QUEUE_FULL',
      );
      let waited = true;
      const waiting = pool.apply(t.square, 4).then((value) => {
        waited = pool.queued <= 2;
        return value;
      });
      // apply() took no place in the full queue: it waits outside it, accepted.
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(pool.queued, 2);
      assert.equal(pool.pending, blockers.length + fillers.length + 1);
      controller.abort();
      for (const job of blockers) await job.wait();
      assert.equal(await waiting, 16);
      assert.equal(waited, true);
      await Promise.all(fillers);
    });
  });
}
