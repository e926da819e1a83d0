/**
 * The seeds' threading.local: a value per worker that its tasks read without passing it
 * around. The pool's initializer runs once in each worker thread and returns that worker's
 * context (here a "session"); a task reads it with workerContext().
 *
 * Run: node dist-examples/worker-context.js
 */
import { Pool, tasks } from 'taskmill';
import type * as ContextTasks from './tasks/context-tasks.js';

const t = tasks<typeof ContextTasks>(new URL('./tasks/context-tasks.js', import.meta.url));
const WORKERS = 2;
const students = ['Alice', 'Bob', 'Carol', 'Dave', 'Erin', 'Frank'];

await using pool = new Pool({ backend: 'threads', workers: WORKERS, initializer: t.openSession });
// A shared counter lets the first calls wait for each other, so every worker gets one.
const started = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
const greetings = await Promise.all(
  students.map((name) => pool.apply(t.processStudent, name, started, WORKERS)),
);

for (const g of greetings) {
  console.log(`Hello, ${g.student} (worker ${g.ranOn}, ${g.context.session})`);
}
const ownSession = greetings.every(
  (g) => g.context.worker === g.ranOn && g.context.session === `session-${g.ranOn}`,
);
const sessions = new Set(greetings.map((g) => g.context.session));
console.log(`every task read its own worker's session: ${ownSession}`);
console.log(`sessions: ${sessions.size} for ${WORKERS} workers (${[...sessions].join(', ')})`);
