/**
 * The seeds' distributed master/worker (multiprocessing.managers: a task queue and a result
 * queue exposed on the network with an authkey), re-done on Redis with taskmill.
 *
 * The master puts random numbers on the `squares` queue and prints each result as it comes
 * back; any number of workers, on any machine that reaches Redis, compute them. Redis's
 * password plays the authkey, and unlike the seed, a worker runs only the task module it was
 * started with: a job cannot make it run anything else.
 *
 * Run (after `npm run build`), with a Redis that requires a password:
 *   export TASKMILL_REDIS_URL='redis://:your-password@127.0.0.1:6379'
 *   node dist/cli/main.js worker --tasks dist-examples/tasks/squares.js --queue squares   # one or more, anywhere
 *   node dist-examples/distributed-squares.js [count] [delayMs]                          # the master
 * (In your own code, import from 'taskmill' instead of '../index.js'.)
 */
import { Pool, tasks } from 'taskmill';
import type * as Squares from './tasks/squares.js';

const t = tasks<typeof Squares>(new URL('./tasks/squares.js', import.meta.url));
const count = Number(process.argv[2] ?? 10);
const delayMs = Number(process.argv[3] ?? 0);
const connection = process.env.TASKMILL_REDIS_URL ?? 'redis://127.0.0.1:6379';

await using pool = new Pool({ backend: 'redis', connection, queue: 'squares', timeout: 10_000 + delayMs });
const numbers = Array.from({ length: count }, () => Math.floor(Math.random() * 10_001));
for (const n of numbers) console.log(`Put task ${n}`);
console.log('Try get results');
// Each result is printed as it arrives, like reading the seed's result queue; the list that
// starmap resolves with is in the order the numbers were put.
const lines = await pool.starmap(
  t.square,
  numbers.map((n) => [n, delayMs] as [number, number]),
  { onResult: (line) => console.log(`Result: ${line}`) },
);
console.log(`${lines.length} results`);
console.log('Master exit.');
