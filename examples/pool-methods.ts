/**
 * The seeds' four pool methods (multiprocessing.Pool): apply_async, apply, map, map_async.
 * In taskmill: submit() returns a Job at once (ready / successful / get, like AsyncResult);
 * apply() waits for the result; map() waits for all results, in input order; and map with an
 * onResult callback hears each result as it arrives.
 *
 * Run: node dist-examples/pool-methods.js
 */
import { Pool, tasks } from 'taskmill';
import type * as PoolTasks from './tasks/pool-tasks.js';

const t = tasks<typeof PoolTasks>(new URL('./tasks/pool-tasks.js', import.meta.url));
await using pool = new Pool({ backend: 'processes', workers: 4 });

console.log('------ submit (apply_async) ------');
const jobs = [0, 1, 2].map((i) => pool.submit(t.func, `hello ${i}`));
const bad = pool.submit(t.func, ''); // this one fails inside the task
console.log(`submit: does not wait (returned ${jobs.length + 1} jobs)`);
for (const job of [...jobs, bad]) await job.wait(); // never rejects: just waits for the end
for (const job of [...jobs, bad]) {
  if (!job.ready()) continue;
  if (job.successful()) console.log(`ready, successful: ${await job.get()}`);
  else console.log(`ready, failed: ${(job.error as Error).message}`);
}

console.log('------ apply ------');
const applied: string[] = [];
for (let i = 0; i < 3; i++) applied.push(await pool.apply(t.func, `hello ${i}`)); // waits for each
console.log(`apply: waits for each result: ${JSON.stringify(applied)}`);

console.log('------ map ------');
const mapped = await pool.map(t.func, [1, 2, 3, 4, 5]);
console.log(`map: waits for all, in input order: ${JSON.stringify(mapped)}`);

console.log('------ map with a callback (map_async) ------');
const pending = pool.map(t.func, [1, 2, 3, 4, 5], {
  onResult: (value, index) => console.log(`callback: item ${index} -> ${value}`),
});
console.log('map with a callback: returned a promise at once');
console.log(`all results, in input order: ${JSON.stringify(await pending)}`);
