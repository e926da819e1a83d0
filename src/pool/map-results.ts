/**
 * map / starmap / mapSettled: runs a MapRun to the end and returns every outcome in input order.
 * Outcomes arrive by chunk, mostly in order: a chunk that continues the results is appended at
 * once (while the workers run the next ones), one that arrives early waits until the chunks
 * before it are in. Appending only at the end (never writing past it, never presizing a huge
 * array) keeps the array packed and fast.
 */
import type { Task } from '../core/task.js';
import type { Dispatcher } from './dispatch.js';
import { type MapInput, type MapOptions, MapRun, type MapSink } from './map-run.js';

interface Piece {
  readonly values: ArrayLike<unknown>;
  readonly count: number;
}

/** Results in input order, appended as the chunks before them are in. */
class InOrder {
  readonly results: unknown[] = [];
  /** Chunks that arrived before those ahead of them, by first index. */
  readonly #early = new Map<number, Piece>();

  add(first: number, values: ArrayLike<unknown>, count: number): void {
    if (first !== this.results.length) {
      this.#early.set(first, { values, count });
      return;
    }
    appendAll(this.results, values, count);
    const early = this.#early;
    if (early.size === 0) return;
    for (
      let next = early.get(this.results.length);
      next !== undefined;
      next = early.get(this.results.length)
    ) {
      early.delete(this.results.length);
      appendAll(this.results, next.values, next.count);
    }
  }
}

/** Settles with the results in input order (`failFast`) or with every outcome as PromiseSettledResult. */
export function collectRun(
  dispatcher: Dispatcher,
  task: Task<never[], unknown>,
  input: MapInput,
  options: MapOptions<unknown>,
  failFast: boolean,
  track: (run: MapRun) => void,
): Promise<unknown[]> {
  const ordered = new InOrder();
  const sink: MapSink = failFast
    ? {
        chunk: (first, values, count) => ordered.add(first, values, count),
        value: (index, value) => ordered.add(index, [value], 1),
        error: () => false,
      }
    : {
        chunk: (first, values, count) =>
          ordered.add(
            first,
            Array.from({ length: count }, (_, i) => ({ status: 'fulfilled', value: values[i] })),
            count,
          ),
        value: (index, value) => ordered.add(index, [{ status: 'fulfilled', value }], 1),
        error: (index, reason) => {
          ordered.add(index, [{ status: 'rejected', reason }], 1);
          return true;
        },
      };
  let run: MapRun;
  try {
    run = new MapRun(dispatcher, task, input, options, sink, true);
  } catch (error) {
    return Promise.reject(error);
  }
  track(run);
  // Outcomes cover the input without gaps: once the run is done, every one is in order.
  return run.done.then(() => ordered.results);
}

/** Appends the first `count` values (an array or a Float64Array) to `out`, in bulk where possible. */
function appendAll(out: unknown[], values: ArrayLike<unknown>, count: number): void {
  if (count <= 32_768) {
    const part =
      count === values.length
        ? values
        : ArrayBuffer.isView(values)
          ? (values as unknown as Float64Array).subarray(0, count)
          : Array.prototype.slice.call(values, 0, count);
    Array.prototype.push.apply(out, part as unknown[]);
    return;
  }
  for (let i = 0; i < count; i++) out.push(values[i]);
}
