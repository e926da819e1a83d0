/** The demo's CPU-bound task: a naive Fibonacci, pure JavaScript, no I/O. */
export function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}
