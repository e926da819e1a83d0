/**
 * The seeds' multiprocessing.Process basics: run a function in a child process and wait for it.
 * A pool with backend 'processes' and one worker is that child; the task returns its pid and
 * its parent's pid, so the output shows it really ran in another process, started by this one.
 *
 * Run: node dist-examples/process-basics.js
 * (In your own code, import from 'taskmill' instead of '../index.js'.)
 */
import { Pool, tasks } from 'taskmill';
import type * as ProcessTasks from './tasks/process-tasks.js';

const t = tasks<typeof ProcessTasks>(new URL('./tasks/process-tasks.js', import.meta.url));

console.log(`Parent process ${process.pid}.`);
const pool = new Pool({ backend: 'processes', workers: 1 });
console.log('Child process will start.');
const job = pool.submit(t.runProc, 'test'); // p.start()
console.log(`job state right after submit: ${job.state}`);
const child = await job.get(); // p.join(): wait for the child's result
console.log(`Run child process ${child.name} (${child.pid})...`);
console.log(`job state after waiting: ${job.state}`);
console.log(`child pid differs from ours: ${child.pid !== process.pid}`);
console.log(`child's parent is this process: ${child.parentPid === process.pid}`);

pool.close(); // no more tasks
await pool.join(); // waits until the child process has exited
console.log(`child process ${child.pid} has exited: ${!isAlive(child.pid)}`);
console.log('Child process end.');

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0 only checks that the process exists
    return true;
  } catch {
    return false;
  }
}
