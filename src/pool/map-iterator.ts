/** imap / imapUnordered: a MapRun as an async iterator, in input order or in completion order. */
import type { Task } from '../core/task.js';
import type { Dispatcher } from './dispatch.js';
import { type MapInput, type MapOptions, MapRun, type MapSink } from './map-run.js';

export function iterateRun(
  dispatcher: Dispatcher,
  task: Task<never[], unknown>,
  input: MapInput,
  options: MapOptions<unknown>,
  ordered: boolean,
  track: (run: MapRun) => void,
): AsyncIterableIterator<unknown> {
  const ready = new Map<number, unknown>();
  const arrivals: unknown[] = [];
  let arrivalsHead = 0;
  let nextIndex = 0;
  let failure: { error: unknown } | undefined;
  let finished = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const sink: MapSink = {
    value: (index, value) => {
      if (ordered) ready.set(index, value);
      else arrivals.push(value);
      notify();
    },
    error: (_index, error) => {
      failure ??= { error };
      notify();
      return false;
    },
  };
  const run = new MapRun(dispatcher, task, input, options, sink, false);
  track(run);
  run.done.then(
    () => {
      finished = true;
      notify();
    },
    (error: unknown) => {
      failure ??= { error };
      finished = true;
      notify();
    },
  );
  const iterator: AsyncIterableIterator<unknown> = {
    async next(): Promise<IteratorResult<unknown>> {
      for (;;) {
        if (ordered && ready.has(nextIndex)) {
          const value = ready.get(nextIndex);
          ready.delete(nextIndex++);
          run.consumed(1);
          return { value, done: false };
        }
        if (!ordered && arrivalsHead < arrivals.length) {
          const value = arrivals[arrivalsHead];
          arrivals[arrivalsHead++] = undefined;
          if (arrivalsHead === arrivals.length) arrivals.length = arrivalsHead = 0;
          run.consumed(1);
          return { value, done: false };
        }
        if (failure !== undefined) {
          run.stop();
          throw failure.error;
        }
        if (finished) return { value: undefined, done: true };
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    },
    async return(): Promise<IteratorResult<unknown>> {
      run.stop();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
