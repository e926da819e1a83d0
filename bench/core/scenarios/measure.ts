/** Timing and checking helpers shared by the scenarios (they run inside a contender's child). */
import { BenchCheckError } from './bench-check-error.js';

/** Runs `work` and returns its wall time in ms along with its result. */
export async function timed<T>(work: () => Promise<T> | T): Promise<{ ms: number; result: T }> {
  const started = performance.now();
  const result = await work();
  return { ms: performance.now() - started, result };
}

/** Rate per second of `count` things done in `ms`. */
export function perSecond(count: number, ms: number): number {
  return count / (ms / 1000);
}

/** Throws unless `actual` equals `expected`: a contender that returns wrong results gets no figure. */
export function expectEqual(what: string, actual: unknown, expected: unknown): void {
  if (actual !== expected) {
    throw new BenchCheckError(`${what}: expected ${String(expected)}, got ${String(actual)}`);
  }
}

/** Sum of numeric results (to check them cheaply). */
export function sum(values: readonly unknown[]): number {
  let total = 0;
  for (const value of values) total += value as number;
  return total;
}

/** 0, 1, …, n-1. */
export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
