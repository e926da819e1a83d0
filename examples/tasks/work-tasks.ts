/**
 * Tasks of the parallel-progress and io-vs-cpu examples: one that keeps the CPU busy and one
 * that only waits, as a download waits for the network.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** Fibonacci the slow way: pure CPU work. */
export function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

/** Stands in for a download: waits `ms` (the network's time), then returns the "page". */
export async function fakeDownload(page: number, ms: number): Promise<string> {
  await sleep(ms);
  return `page ${page}`;
}
