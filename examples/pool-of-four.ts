/**
 * The seeds' Pool(4) with 5 tasks: four run at once, the fifth waits for a free worker.
 *
 * The seed shows it with random sleeps and hopes the timing makes it visible. Here each of the
 * first four tasks waits, on a SharedArrayBuffer, until all four are running at once, so none
 * can finish before four workers are busy; each task records its start order, its worker and
 * how many tasks had finished when it started. The fifth can only start after one finished.
 * (Worker threads, because shared memory does not cross processes; a 'processes' pool queues
 * the fifth task the same way.)
 *
 * Run: node dist-examples/pool-of-four.js
 */
import { Pool, tasks } from 'taskmill';
import type * as PoolTasks from './tasks/pool-tasks.js';
import { newGate } from './tasks/pool-tasks.js';

const t = tasks<typeof PoolTasks>(new URL('./tasks/pool-tasks.js', import.meta.url));
const WORKERS = 4;

console.log(`Parent process ${process.pid}.`);
await using pool = new Pool({ backend: 'threads', workers: WORKERS });
const gate = newGate();
const runs = [0, 1, 2, 3, 4].map((name) => pool.apply(t.longTimeTask, gate, name, WORKERS));
console.log('Waiting for all tasks done...');
const records = await Promise.all(runs);

for (const r of [...records].sort((a, b) => a.startOrder - b.startOrder)) {
  console.log(
    `task ${r.name}: start #${r.startOrder} on worker ${r.worker}; tasks finished before it started: ${r.finishedBeforeStart}`,
  );
}
const firstFour = records.filter((r) => r.startOrder <= WORKERS);
const fifth = records.find((r) => r.startOrder === WORKERS + 1);
console.log(
  `the first ${WORKERS} ran at once on ${new Set(firstFour.map((r) => r.worker)).size} distinct workers`,
);
console.log(`all four saw each other running: ${firstFour.every((r) => r.sawOthers)}`);
console.log(
  `the fifth (task ${fifth?.name}) waited for a free worker: ${(fifth?.finishedBeforeStart ?? 0) >= 1}`,
);
console.log('All tasks done.');
