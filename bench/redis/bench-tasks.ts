/** Tasks of the redis benchmarks: trivial, and a 10 ms sleep (I/O-like). */
import { setTimeout as sleep } from 'node:timers/promises';

export function noop(n: number): number {
  return n;
}

export async function sleep10(n: number): Promise<number> {
  await sleep(10);
  return n;
}

/** A chord's callback: adds up every result it is given. */
export function sum(values: number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}
