/**
 * Tasks of the pool-of-four and pool-methods examples.
 *
 * longTimeTask is the seed's long_time_task, made deterministic: instead of sleeping a random
 * time, each of the first four tasks waits (Atomics.wait, blocking its worker) until all four
 * are running at once. So none of them can finish before four workers are busy, and the fifth
 * task can only start once one of them has finished: no timing decides the outcome.
 */
import { threadId } from 'node:worker_threads';

/** Slots of the shared Int32Array. */
const STARTED = 0; // tasks started so far
const FINISHED = 1; // tasks finished so far
export const GATE_SLOTS = 2;

/** How long a task waits for the others before giving up (only if the pool were broken). */
const GIVE_UP_MS = 30_000;

export interface TaskRecord {
  readonly name: number;
  /** 1 for the first task to start, 2 for the second... */
  readonly startOrder: number;
  /** The worker thread that ran it. */
  readonly worker: number;
  /** How many tasks had finished when this one started. */
  readonly finishedBeforeStart: number;
  /** Whether all `together` tasks were seen running at once (false only if we gave up waiting). */
  readonly sawOthers: boolean;
}

export function newGate(): SharedArrayBuffer {
  return new SharedArrayBuffer(GATE_SLOTS * Int32Array.BYTES_PER_ELEMENT);
}

/** Runs as task `name`; the first `together` tasks wait until that many are running. */
export function longTimeTask(gate: SharedArrayBuffer, name: number, together: number): TaskRecord {
  const cells = new Int32Array(gate);
  const finishedBeforeStart = Atomics.load(cells, FINISHED);
  const startOrder = Atomics.add(cells, STARTED, 1) + 1;
  Atomics.notify(cells, STARTED);
  let sawOthers = true;
  const deadline = Date.now() + GIVE_UP_MS;
  for (;;) {
    const started = Atomics.load(cells, STARTED);
    if (started >= together) break;
    const left = deadline - Date.now();
    if (left <= 0) {
      sawOthers = false;
      break;
    }
    Atomics.wait(cells, STARTED, started, left); // sleeps until another task starts
  }
  Atomics.add(cells, FINISHED, 1);
  return { name, startOrder, worker: threadId, finishedBeforeStart, sawOthers };
}

/** The seed's func(msg) of the pool-methods example; refuses an empty message to show a failed job. */
export function func(msg: string | number): string {
  if (msg === '') throw new Error('func() needs a message, got an empty string');
  return `func_return: ${msg}`;
}
