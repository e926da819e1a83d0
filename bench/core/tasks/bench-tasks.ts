/**
 * The work every contender runs. Plain exported functions taking one argument, so the same
 * module serves taskmill (as task references), Piscina and tinypool (named exports called
 * with the task's value) and, through workerpool-worker.ts, workerpool.
 */

/** The tiny task: its cost is all overhead. */
export function inc(n: number): number {
  return n + 1;
}

/** Recursive Fibonacci: pure CPU, no allocation. fib(34) takes ~45 ms on the reference machine. */
export function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

/** Receives a payload and reads both ends of it, so the data must really have arrived. */
export function payloadSize(bytes: Uint8Array): number {
  return bytes.byteLength + (bytes[0] as number) + (bytes[bytes.byteLength - 1] as number);
}

/** Waits `ms` without using the CPU: I/O-bound work. */
export function sleep(ms: number): Promise<number> {
  return new Promise((resolve) => setTimeout(() => resolve(ms), ms));
}
