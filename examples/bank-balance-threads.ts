/**
 * The seeds' bank-balance race across two REAL worker threads sharing memory. The balance is a
 * plain Int32 in a SharedArrayBuffer; each thread deposits 1, many times, by read – yield – write.
 * Without a lock deposits are lost; with a SharedLock (a mutex built on Atomics) it is exact.
 *
 * A class instance cannot be sent to a worker, so the lock travels as `lock.handle` and the
 * task rebuilds it with SharedLock.from(handle) (see tasks/bank-tasks.ts).
 *
 * Run: node dist-examples/bank-balance-threads.js
 */
import { Pool, SharedLock, tasks } from 'taskmill';
import { balanceOf, newBank } from './tasks/bank-tasks.js';

const t = tasks<typeof import('./tasks/bank-tasks.js')>(new URL('./tasks/bank-tasks.js', import.meta.url));
const ROUNDS = 1000;

await using pool = new Pool({ backend: 'threads', workers: 2 });

async function run(lock?: SharedLock): Promise<number> {
  const bank = newBank(); // shared memory both threads see
  const shared = { bank, rounds: ROUNDS, ...(lock ? { lock: lock.handle } : {}) };
  await Promise.all([
    pool.apply(t.depositRounds, { ...shared, who: 0 }),
    pool.apply(t.depositRounds, { ...shared, who: 1 }),
  ]);
  return balanceOf(bank);
}

const expected = 2 * ROUNDS;
const without = await run();
const withLock = await run(new SharedLock());
console.log(`expected balance:  ${expected}`);
console.log(`without a lock:    ${without} (${expected - without} deposits lost to the race)`);
console.log(`with a SharedLock: ${withLock} (${withLock === expected ? 'exact' : 'WRONG'})`);
