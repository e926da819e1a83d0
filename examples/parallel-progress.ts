/**
 * The seeds' joblib Parallel with a progress bar (tqdm_joblib): one call maps a CPU task over
 * the items on every core and shows progress on stderr: a live bar on a terminal, plain lines
 * in a log. `verbose` adds joblib-like "Done k of n" lines.
 *
 * Run: node dist-examples/parallel-progress.js
 */
import { parallel, tasks } from 'taskmill';
import type * as WorkTasks from './tasks/work-tasks.js';

const t = tasks<typeof WorkTasks>(new URL('./tasks/work-tasks.js', import.meta.url));
const inputs = Array.from({ length: 24 }, (_, i) => 15 + (i % 10)); // fib(15) .. fib(24)

const results = await parallel(inputs, t.fib, {
  backend: 'threads',
  jobs: -1, // every core, as joblib's n_jobs=-1
  progress: true,
  verbose: true,
  label: 'fib',
});

// Check every result against a quick loop here in the main thread.
const expected = inputs.map((n) => {
  let [a, b] = [0, 1];
  for (let i = 0; i < n; i++) [a, b] = [b, a + b];
  return a;
});
const correct = results.every((value, i) => value === expected[i]);
console.log(`${results.length} results, in input order; fib(24) = ${results[9]}`);
console.log(`all correct: ${correct}`);
