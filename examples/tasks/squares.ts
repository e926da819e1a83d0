/**
 * The task of the distributed-squares example: what the seed's task_worker.py does with each
 * number it takes from the task queue. A `taskmill worker --tasks` started with this module
 * runs it; nothing else.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** `n * n = r`, after `delayMs` (the seed sleeps a second to look busy; default 0). */
export async function square(n: number, delayMs = 0): Promise<string> {
  if (!Number.isInteger(n)) throw new TypeError(`square() takes a whole number, got ${String(n)}`);
  if (delayMs > 0) await sleep(delayMs);
  return `${n} * ${n} = ${n * n}`;
}
