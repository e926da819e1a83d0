/**
 * Task of the queue-writer-reader example: the seed's write(q). It runs in a child process;
 * a child cannot hold the caller's queue, so it sends each value to the caller as progress
 * data, and the caller puts it on the queue.
 */
import { reportProgress } from 'taskmill/task';

/** Sends every value, in order; returns this process's pid. */
export function write(values: readonly string[]): number {
  for (const value of values) reportProgress({ message: `Put ${value} to queue...`, data: value });
  return process.pid;
}
