import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WaitAbortedError } from './errors.js';
import { Lock } from './lock.js';
import { Semaphore } from './semaphore.js';

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The seeds' bank balance, in async code: each deposit reads the balance, awaits (a save, a
 * network call), then writes back what it read plus the amount. Two workers run at once.
 */
async function bank(rounds: number, lock?: Lock): Promise<number> {
  let balance = 0;
  const deposit = async (amount: number): Promise<void> => {
    const read = balance;
    await turn(); // the other worker runs here
    balance = read + amount;
  };
  const worker = async (amount: number): Promise<void> => {
    for (let i = 0; i < rounds; i++) {
      if (lock === undefined) await deposit(amount);
      else await lock.withLock(() => deposit(amount));
    }
  };
  await Promise.all([worker(5), worker(8)]);
  return balance;
}

describe('Lock', () => {
  it('without a lock, two async workers interleaving across an await lose deposits', async () => {
    const rounds = 100;
    const balance = await bank(rounds);
    assert.notEqual(balance, rounds * (5 + 8));
    assert.ok(balance < rounds * (5 + 8), `lost updates only lower the balance, got ${balance}`);
  });

  it('with the lock, the balance is exact', async () => {
    const rounds = 100;
    assert.equal(await bank(rounds, new Lock()), rounds * (5 + 8));
  });

  it('is released when the guarded function throws', async () => {
    const lock = new Lock();
    await assert.rejects(
      lock.withLock(async () => {
        await turn();
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal(lock.locked, false);
    assert.equal(await lock.withLock(() => 42), 42);
  });

  it('`using` releases at the end of the block, and a release is safe to call twice', async () => {
    const lock = new Lock();
    {
      using release = await lock.acquire();
      assert.equal(lock.locked, true);
      release();
      release();
      assert.equal(lock.locked, false);
      const again = lock.tryAcquire();
      assert.ok(again !== undefined);
      again();
    }
    {
      using _held = await lock.acquire();
      assert.equal(lock.locked, true);
    }
    assert.equal(lock.locked, false);
  });

  it('serves waiters first come, first served, and a newcomer cannot barge in', async () => {
    const lock = new Lock();
    const release = await lock.acquire();
    const order: number[] = [];
    const waiters = [1, 2, 3].map((n) => lock.withLock(() => void order.push(n)));
    release();
    assert.equal(lock.tryAcquire(), undefined, 'the lock went straight to the first waiter');
    await Promise.all(waiters);
    assert.deepEqual(order, [1, 2, 3]);
  });

  it('an aborted acquire leaves the line without taking the lock', async () => {
    const lock = new Lock();
    const release = await lock.acquire();
    const controller = new AbortController();
    const aborted = lock.acquire({ signal: controller.signal });
    const next = lock.acquire();
    controller.abort();
    await assert.rejects(
      aborted,
      (error: unknown) => error instanceof WaitAbortedError && /lock\.acquire\(\)/.test(error.message),
    );
    release();
    const nextRelease = await next;
    assert.equal(lock.locked, true);
    nextRelease();
    assert.equal(lock.locked, false);
    await assert.rejects(lock.acquire({ signal: AbortSignal.abort() }), WaitAbortedError);
  });
});

describe('Semaphore', () => {
  it('lets at most `permits` holders run at once', async () => {
    const semaphore = new Semaphore(3);
    let running = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        semaphore.withPermit(async () => {
          running++;
          most = Math.max(most, running);
          await turn();
          running--;
        }),
      ),
    );
    assert.equal(most, 3);
    assert.equal(semaphore.available, 3);
  });

  it('refuses a permit count that is not a positive integer', () => {
    assert.throws(() => new Semaphore(0), { code: 'ERR_TASKMILL_INVALID_ARGUMENT' });
  });
});
