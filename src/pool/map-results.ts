/**
 * map / starmap / mapSettled: runs a MapRun to the end and returns every outcome in input order.
 * Outcomes arrive by chunk and out of order; they are put in order once, at the end (writing far
 * past the end of a growing array, or into a huge presized one, is slow).
 */
import type { Task } from '../core/task.js';
import type { Dispatcher } from './dispatch.js';
import { type MapInput, type MapOptions, MapRun, type MapSink } from './map-run.js';

interface Piece {
  readonly first: number;
  readonly values: ArrayLike<unknown>;
  readonly count: number;
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
  const pieces: Piece[] = [];
  const singles: { index: number; value: unknown }[] = [];
  const sink: MapSink = failFast
    ? {
        chunk: (first, values, count) => pieces.push({ first, values, count }),
        value: (index, value) => singles.push({ index, value }),
        error: () => false,
      }
    : {
        chunk: (first, values, count) =>
          pieces.push({
            first,
            values: Array.from({ length: count }, (_, i) => ({ status: 'fulfilled', value: values[i] })),
            count,
          }),
        value: (index, value) => singles.push({ index, value: { status: 'fulfilled', value } }),
        error: (index, reason) => {
          singles.push({ index, value: { status: 'rejected', reason } });
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
  return run.done.then(() => {
    // Pieces and single outcomes cover the input without gaps: sort them, then append in order.
    for (const { index, value } of singles) pieces.push({ first: index, values: [value], count: 1 });
    pieces.sort((a, b) => a.first - b.first);
    const results: unknown[] = [];
    for (const { values, count } of pieces) appendAll(results, values, count);
    return results;
  });
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
