/**
 * The seeds' bank-balance race, in async code. JavaScript runs one function at a time, but every
 * `await` lets another async function run: "read balance, await, write balance + n" is a race,
 * exactly like Python threads interrupted between two bytecodes. A Lock closes the gap.
 *
 * Run: node dist-examples/bank-balance-async.js
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Lock } from 'taskmill';

const ROUNDS = 1000;

async function run(lock?: Lock): Promise<number> {
  let balance = 0;
  const deposit = async (amount: number): Promise<void> => {
    const read = balance; // read
    await nextTurn(); // e.g. a database call: the other worker runs here
    balance = read + amount; // write back what we read plus our amount
  };
  const worker = async (amount: number): Promise<void> => {
    for (let i = 0; i < ROUNDS; i++) {
      if (lock)
        await lock.withLock(() => deposit(amount)); // held from read to write, always released
      else await deposit(amount);
    }
  };
  await Promise.all([worker(5), worker(8)]);
  return balance;
}

const expected = ROUNDS * (5 + 8);
const without = await run();
const withLock = await run(new Lock());
console.log(`expected balance:  ${expected}`);
console.log(`without a lock:    ${without} (${expected - without} lost to the race)`);
console.log(`with a Lock:       ${withLock} (${withLock === expected ? 'exact' : 'WRONG'})`);
