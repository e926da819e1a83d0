import { startTimer } from './long-timer.js';

/**
 * Settles like `promise`, or rejects with `onTimeout()` after `ms`, however long (the timer
 * never keeps the process alive).
 */
export function withDeadline<T>(promise: Promise<T>, ms: number, onTimeout: () => unknown): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = startTimer(() => reject(onTimeout()), ms);
    promise.then(
      (value) => {
        timer.clear();
        resolve(value);
      },
      (error: unknown) => {
        timer.clear();
        reject(error);
      },
    );
  });
}
