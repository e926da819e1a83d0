import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tasks } from '../core/task.js';
import { Pool } from '../pool/pool.js';
import { AtomicCounter } from './atomic-counter.js';
import { LockNotHeldError, WaitAbortedError } from './errors.js';
import { newCells, sumOf } from './fixtures/racing-adds.js';
import { SharedLock } from './shared-lock.js';

type RacingTasks = typeof import('./fixtures/racing-adds.js');
const racing = tasks<RacingTasks>(new URL('./fixtures/racing-adds.js', import.meta.url));

/**
 * A fresh pool of two real worker threads, so the two tasks run on different threads at once.
 * The timeout is only a safety net: if both ever landed on one thread, the handshake would wait
 * forever; the test would then fail instead of hanging.
 */
async function withTwoThreads<R>(fn: (pool: Pool) => Promise<R>): Promise<R> {
  const pool = new Pool({ backend: 'threads', workers: 2, timeout: 30_000 });
  try {
    return await fn(pool);
  } finally {
    await pool.terminate();
  }
}

async function addAcrossThreads(rounds: number, lock?: SharedLock): Promise<number> {
  const cells = newCells();
  const common = { cells, rounds, ...(lock ? { lock: lock.handle } : {}) };
  await withTwoThreads((pool) =>
    Promise.all([
      pool.apply(racing.addRacing, { ...common, who: 0 }),
      pool.apply(racing.addRacing, { ...common, who: 1 }),
    ]),
  );
  return sumOf(cells);
}

describe('SharedLock across worker threads', () => {
  it("the seeds' bank balance without a lock: two threads lose deposits, every time", async () => {
    const rounds = 500;
    const balance = await addAcrossThreads(rounds);
    assert.ok(balance < 2 * rounds, `expected lost deposits, got ${balance} of ${2 * rounds}`);
  });

  it('with the SharedLock the balance is exact', async () => {
    const rounds = 500;
    assert.equal(await addAcrossThreads(rounds, new SharedLock()), 2 * rounds);
  });

  it('the main thread waits for a lock a worker holds without blocking its event loop (acquire)', async () => {
    const lock = new SharedLock();
    const release = lock.acquireSync();
    const waiting = lock.acquire();
    let loopRan = false;
    await new Promise<void>((resolve) => setImmediate(() => resolve()));
    loopRan = true;
    assert.equal(lock.locked, true);
    release();
    const second = await waiting;
    assert.ok(loopRan);
    second();
    assert.equal(lock.locked, false);
  });

  it('an aborted acquire gives up and does not swallow the next wake-up', async () => {
    const lock = new SharedLock();
    const release = lock.acquireSync();
    const controller = new AbortController();
    const aborted = lock.acquire({ signal: controller.signal });
    const patient = lock.acquire();
    controller.abort();
    await assert.rejects(aborted, WaitAbortedError);
    release();
    const next = await patient;
    next();
    assert.equal(lock.locked, false);
  });

  it('withLock releases when the function throws; a release is idempotent; from() checks the handle', async () => {
    const lock = new SharedLock();
    assert.throws(
      () =>
        lock.withLockSync(() => {
          throw new Error('boom');
        }),
      /boom/,
    );
    assert.equal(lock.locked, false);
    await assert.rejects(
      lock.withLock(async () => {
        throw new Error('async boom');
      }),
      /async boom/,
    );
    assert.equal(lock.locked, false);
    {
      using held = lock.acquireSync();
      assert.equal(
        SharedLock.from(lock.handle).tryAcquire(),
        undefined,
        'the same lock, seen through its handle',
      );
      held();
    }
    assert.equal(lock.locked, false);
    assert.throws(() => SharedLock.from({} as never), /needs the handle of a SharedLock/);
    assert.equal(new LockNotHeldError().code, 'ERR_TASKMILL_LOCK_NOT_HELD');
  });
});

describe('AtomicCounter', () => {
  it('two threads add without a lock and lose nothing', async () => {
    const counter = new AtomicCounter();
    await withTwoThreads((pool) =>
      Promise.all([
        pool.apply(racing.countUp, counter.handle, 100_000),
        pool.apply(racing.countUp, counter.handle, 100_000),
      ]),
    );
    assert.equal(counter.get(), 200_000);
  });

  it('add, sub, set and compareExchange', () => {
    const counter = new AtomicCounter(10);
    assert.equal(counter.add(5), 15);
    assert.equal(counter.sub(), 14);
    assert.equal(counter.compareExchange(14, 0), 14);
    assert.equal(counter.get(), 0);
    assert.equal(counter.compareExchange(5, 1), 0, 'no exchange: the value was not 5');
    assert.equal(counter.get(), 0);
    counter.set(-3);
    assert.equal(AtomicCounter.from(counter.handle).get(), -3);
    assert.throws(() => counter.add(2 ** 40), { code: 'ERR_TASKMILL_INVALID_ARGUMENT' });
  });
});
