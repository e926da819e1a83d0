/**
 * Tasks of the worker-context example (the seed's threading.local): an initializer that runs
 * once in each worker thread, and a task that reads that worker's context.
 */
import { threadId } from 'node:worker_threads';
import { workerContext } from 'taskmill/task';

export interface Session {
  readonly worker: number;
  readonly session: string;
}

/** The pool's initializer: its return value is workerContext() for every task on this worker. */
export function openSession(): Session {
  return { worker: threadId, session: `session-${threadId}` };
}

export interface Greeting {
  readonly student: string;
  /** The worker thread that ran the task. */
  readonly ranOn: number;
  /** The context the task read. */
  readonly context: Session;
}

/**
 * The seed's process_student(): reads the student's session from this worker's context.
 * The first `workers` calls wait (on a shared counter) until that many are running, so that
 * every worker gets a task and the output can show each worker's session.
 */
export function processStudent(student: string, started: SharedArrayBuffer, workers: number): Greeting {
  const count = new Int32Array(started);
  Atomics.add(count, 0, 1);
  Atomics.notify(count, 0);
  const deadline = Date.now() + 30_000; // only reached if the pool were broken
  for (let seen = Atomics.load(count, 0); seen < workers && Date.now() < deadline; ) {
    Atomics.wait(count, 0, seen, deadline - Date.now());
    seen = Atomics.load(count, 0);
  }
  return { student, ranOn: threadId, context: workerContext<Session>() };
}
