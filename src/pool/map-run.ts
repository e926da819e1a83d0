/**
 * One run of the map family (map, starmap, mapSettled, imap, imapUnordered).
 *
 * Input is read lazily and cut into batches ("chunks") whose size adapts, as joblib's
 * batch_size='auto' does: a first probe of one item per worker measures the task, then
 * chunks grow while they take too little time and shrink when they take too long, and never
 * exceed a fair share of what remains, so the last workers are not left idle.
 * At most a window of chunks is outstanding, so memory stays flat whatever the input size.
 */
import type { BufferPath } from '../core/arguments.js';
import type { ExecRequest, ExecResult, LocalFunction } from '../core/backend.js';
import { InvalidArgumentError, TaskAbortedError } from '../core/errors.js';
import { assertKnownKeys } from '../core/option-keys.js';
import { describeTask, isTaskRef, type Task, type TaskRef } from '../core/task.js';
import type { ProgressUpdate } from '../core/task-context.js';
import type { Dispatcher, Entry } from './dispatch.js';
import type { Prepared } from './prepare-arguments.js';

export interface MapProgress {
  /** Items finished so far (either way). */
  readonly done: number;
  /** Items in all, when the input's length is known. */
  readonly total: number | undefined;
  /** Item a task-reported update belongs to. */
  readonly index?: number;
  /** A task's own progress report, when that is what this event is. */
  readonly update?: ProgressUpdate;
}

export interface MapOptions<R = unknown> {
  /** Cancels the whole map: queued items are dropped, running ones stopped. */
  readonly signal?: AbortSignal;
  /** Milliseconds each item may run (default: the task's or the pool's timeout). */
  readonly timeout?: number;
  /** Fixed number of items per batch; default adaptive. 1 sends every item on its own. */
  readonly chunkSize?: number;
  /** Called with each result as it arrives (Python's map_async callback). */
  readonly onResult?: (value: R, index: number) => void;
  /** Called as items finish and when tasks report progress. */
  readonly onProgress?: (progress: MapProgress) => void;
}

/**
 * @internal Where a run delivers outcomes. `error` returns true to keep going, false to stop.
 * A sink may take whole chunks instead (`chunk`), which spares a call per item.
 */
export interface MapSink {
  value(index: number, value: unknown): void;
  error(index: number, error: unknown): boolean;
  chunk?(firstIndex: number, values: ArrayLike<unknown>, count: number): void;
}

/** @internal The input of a run: items, each one argument (`spread: false`) or an argument list. */
export interface MapInput {
  readonly items: Iterable<unknown> | AsyncIterable<unknown>;
  readonly spread: boolean;
}

/** Every key of MapOptions: any other is refused. */
export const MAP_OPTION_KEYS: readonly (keyof MapOptions)[] = [
  'signal',
  'timeout',
  'chunkSize',
  'onResult',
  'onProgress',
];

/** Target time for one batch, in ms: long enough to amortise a round trip, short enough to balance. */
const TARGET_CHUNK_MS = 20;
/** Least time one batch should take: below it, the round trip to a worker costs more than the work. */
const MIN_CHUNK_MS = 1;

/** Largest batch a lazy run (imap) cuts from an input whose length is unknown. */
const LAZY_MAX_CHUNK = 1024;

/**
 * Most items a lazy run reads ahead of what its consumer has taken (one batch beyond it at most):
 * four batches per task that can run at once, at least 64.
 */
export function lazyWindow(parallelism: number, batchSize: number): number {
  return Math.max(64, parallelism * 4 * Math.max(1, Math.min(batchSize, LAZY_MAX_CHUNK)));
}

/** A batch of a map as the backend sees it; the per-item argument lists exist only if asked for. */
class ChunkRequest implements ExecRequest {
  #items: (readonly unknown[])[] | undefined;
  #singles: readonly unknown[] | undefined;
  readonly transfer?: readonly ArrayBuffer[];
  readonly buffers?: readonly BufferPath[];
  readonly copyBytes?: number;
  readonly timeout?: number;
  readonly packed?: Float64Array;
  readonly mapBatch = true;

  constructor(
    readonly task: TaskRef | LocalFunction,
    readonly taskName: string,
    readonly firstIndex: number,
    lists: unknown[][] | undefined,
    singles: unknown[] | Float64Array | undefined,
    carried: Prepared | undefined,
    timeout: number | undefined,
    readonly onProgress: (index: number, update: ProgressUpdate) => void,
  ) {
    this.#items = lists;
    if (singles instanceof Float64Array) this.packed = singles;
    else this.#singles = singles;
    if (carried?.transfer !== undefined) this.transfer = carried.transfer;
    if (carried?.buffers !== undefined) this.buffers = carried.buffers;
    if (carried?.copyBytes !== undefined) this.copyBytes = carried.copyBytes;
    if (timeout !== undefined) this.timeout = timeout;
  }

  get singleArgs(): readonly unknown[] | undefined {
    if (this.#singles === undefined && this.packed !== undefined) this.#singles = Array.from(this.packed);
    return this.#singles;
  }

  get items(): readonly (readonly unknown[])[] {
    this.#items ??= (this.singleArgs ?? []).map((arg) => [arg]);
    return this.#items;
  }
}

/** Most items of one worker's probe (see #probeSize). */
const PROBE_MAX_ITEMS = 32;

/** Batches of at least this many numbers go packed to a backend that takes them so. */
const PACK_MIN_ITEMS = 16;

/** `array[first..end)` packed in a Float64Array when every item is a number, else undefined. */
function packRange(array: readonly unknown[], first: number, end: number): Float64Array | undefined {
  const out = new Float64Array(end - first);
  for (let i = first; i < end; i++) {
    const value = array[i];
    if (typeof value !== 'number') return undefined;
    out[i - first] = value;
  }
  return out;
}

export class MapRun {
  readonly done: Promise<void>;
  #resolve!: () => void;
  #reject!: (error: unknown) => void;
  readonly #dispatcher: Dispatcher;
  readonly #task: Task<never[], unknown>;
  readonly #taskName: string;
  readonly #options: MapOptions<unknown>;
  readonly #sink: MapSink;
  readonly #collectAll: boolean;
  readonly #timeout: number | undefined;
  readonly #entries = new Set<Entry>();
  #array: readonly unknown[] | undefined;
  #sync: Iterator<unknown> | undefined;
  #async: AsyncIterator<unknown> | undefined;
  readonly #spread: boolean;
  readonly #total: number | undefined;
  #pulled = 0;
  #finished = 0;
  #consumed = 0;
  #exhausted = false;
  #stopped = false;
  #pumping = false;
  #slots = 1;
  #parallelism = 1;
  #maxBatch = 1;
  #lastSize = 0;
  /** Measurements taken, and how many there were when the chunk size last grew (it grows once per measurement). */
  #measures = 0;
  #grownAt = -1;
  #perItemMs: number | undefined;
  #probing = false;
  /** Whether batches of numbers are packed here, in one pass (the backend takes them so, and none so far was not a number). */
  #packs = false;
  /** Whether batch sizes adapt (no fixed chunkSize, no timeout, a batching backend, a sync input). */
  #adaptive = false;
  #abortListener: (() => void) | undefined;

  constructor(
    dispatcher: Dispatcher,
    task: Task<never[], unknown>,
    input: MapInput,
    options: MapOptions<unknown>,
    sink: MapSink,
    collectAll: boolean,
  ) {
    this.done = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.done.catch(() => {});
    this.#dispatcher = dispatcher;
    this.#task = task;
    this.#taskName = describeTask(task);
    this.#options = options;
    this.#sink = sink;
    this.#collectAll = collectAll;
    if (options === null || typeof options !== 'object') {
      throw new InvalidArgumentError('map options must be an object, e.g. { chunkSize: 10 }');
    }
    assertKnownKeys(options, MAP_OPTION_KEYS, 'map options');
    if (options.chunkSize !== undefined && !(Number.isInteger(options.chunkSize) && options.chunkSize >= 1)) {
      throw new InvalidArgumentError(
        `chunkSize must be a whole number of at least 1, got ${options.chunkSize}`,
      );
    }
    if (options.timeout !== undefined && !(options.timeout > 0 && Number.isFinite(options.timeout))) {
      throw new InvalidArgumentError(
        `timeout must be a positive number of milliseconds, got ${options.timeout}`,
      );
    }
    this.#timeout =
      options.timeout ?? (isTaskRef(task) ? task.options.timeout : undefined) ?? dispatcher.defaultTimeout;
    const items = input.items;
    this.#spread = input.spread;
    if (Array.isArray(items)) {
      this.#array = items;
      this.#total = items.length;
    } else if (items !== null && typeof items === 'object' && Symbol.iterator in items) {
      this.#sync = items[Symbol.iterator]();
    } else if (items !== null && typeof items === 'object' && Symbol.asyncIterator in items) {
      this.#async = items[Symbol.asyncIterator]();
    } else {
      throw new InvalidArgumentError('items must be an array, an iterable or an async iterable');
    }

    const signal = options.signal ?? (isTaskRef(task) ? task.options.signal : undefined);
    if (signal !== undefined) {
      if (signal.aborted) {
        this.#fail(new TaskAbortedError(this.#taskName, signal.reason), true);
        return;
      }
      this.#abortListener = () => this.#fail(new TaskAbortedError(this.#taskName, signal.reason), true);
      signal.addEventListener('abort', this.#abortListener, { once: true });
      this.done
        .finally(() => signal.removeEventListener('abort', this.#abortListener as () => void))
        .catch(() => {});
    }
    dispatcher.backendInfo().then(
      (info) => {
        this.#slots = Math.max(1, info.slots);
        this.#parallelism = Math.max(1, Math.min(info.slots, info.parallelism));
        this.#maxBatch = Math.max(1, info.maxBatch);
        this.#packs = info.packsNumbers && !this.#spread && this.#array !== undefined;
        this.#adaptive = this.#probing =
          options.chunkSize === undefined &&
          this.#timeout === undefined &&
          this.#maxBatch > 1 &&
          this.#async === undefined;
        void this.#pump();
      },
      (error: unknown) => this.#fail(error, false),
    );
  }

  /** Iterators call this as the consumer takes results, which lets more input be read. */
  consumed(count: number): void {
    this.#consumed += count;
    void this.#pump();
  }

  /** Ends the run with `error` (the pool was terminated): nothing more is read, queued or run. */
  abort(error: Error): void {
    this.#fail(new TaskAbortedError(this.#taskName, error), true);
  }

  /** Stops reading input and cancels whatever is queued or running. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#cancelAll(new TaskAbortedError(this.#taskName, 'the iteration was stopped'), true);
    this.#resolve();
  }

  /**
   * Batches outstanding at once. Adaptive batches keep a few per worker, so that each new batch
   * is sized from fresh measurements rather than all from the first; fixed ones fill every slot.
   */
  #windowChunks(): number {
    return this.#adaptive ? Math.max(2, this.#parallelism * 4) : Math.max(2, this.#slots * 2);
  }

  /**
   * Items a lazy run (imap) reads ahead of its consumer: a few batches per worker, so workers
   * stay busy while the consumer is slower, and memory stays bounded however long the input.
   */
  #windowItems(): number {
    return lazyWindow(this.#parallelism, this.#lastSize);
  }

  async #pump(): Promise<void> {
    if (this.#pumping || this.#stopped) return;
    this.#pumping = true;
    try {
      while (!this.#stopped && !this.#exhausted && this.#entries.size < this.#windowChunks()) {
        if (!this.#collectAll && this.#pulled - this.#consumed >= this.#windowItems()) break;
        // While the probe runs, wait for its measurement (a probe that failed measured nothing: probe again).
        if (
          this.#probing &&
          this.#pulled >= this.#parallelism * this.#probeSize() &&
          this.#perItemMs === undefined &&
          this.#entries.size > 0
        )
          break;
        const size = this.#nextChunkSize();
        const first = this.#pulled;
        const array = this.#array;
        if (this.#packs && size >= PACK_MIN_ITEMS && array !== undefined) {
          // Numbers from an array: read, checked and packed in one pass, with nothing else to
          // prepare (numbers need no checks), for a backend that sends them packed anyway.
          const end = Math.min(array.length, first + size);
          const packed = packRange(array, first, end);
          if (packed !== undefined) {
            if (end >= array.length) this.#exhausted = true;
            this.#pulled = end;
            this.#dispatch(first, packed);
            continue;
          }
          this.#packs = false;
        }
        // Single-argument items travel as one flat array; starmap's as argument lists.
        const items: unknown[] = [];
        if (array !== undefined) {
          const end = Math.min(array.length, first + size);
          if (this.#spread) for (let i = first; i < end; i++) items.push(this.#argList(array[i]));
          else for (let i = first; i < end; i++) items.push(array[i]);
          if (end >= array.length) this.#exhausted = true;
        } else {
          while (items.length < size) {
            const step =
              this.#sync !== undefined
                ? this.#sync.next()
                : await (this.#async as AsyncIterator<unknown>).next();
            if (step.done) {
              this.#exhausted = true;
              break;
            }
            items.push(this.#spread ? this.#argList(step.value) : step.value);
          }
        }
        if (this.#stopped) return;
        this.#pulled += items.length;
        if (items.length > 0) this.#dispatch(first, items);
      }
    } catch (error) {
      this.#fail(error, true);
      return;
    } finally {
      this.#pumping = false;
    }
    this.#checkDone();
  }

  /** A starmap item as the argument list its task is called with (a copy of the caller's tuple). */
  #argList(item: unknown): unknown[] {
    if (!Array.isArray(item)) {
      throw new InvalidArgumentError(
        'each starmap item must be an array of arguments, e.g. [[1, 2], [3, 4]]',
      );
    }
    return item.slice();
  }

  #nextChunkSize(): number {
    if (this.#options.chunkSize !== undefined) return this.#options.chunkSize;
    if (this.#timeout !== undefined || this.#maxBatch === 1) return 1;
    if (this.#async !== undefined) return 1;
    if (this.#perItemMs === undefined) return this.#probeSize();
    this.#probing = false;
    let size: number;
    if (this.#total !== undefined) {
      // A fair share of what remains, so every worker gets several more chunks.
      size = Math.ceil((this.#total - this.#pulled) / (this.#parallelism * 4));
      if (!this.#collectAll) size = Math.min(size, LAZY_MAX_CHUNK);
    } else {
      size = Math.max(1, this.#measures > this.#grownAt ? this.#lastSize * 2 : this.#lastSize);
      this.#grownAt = this.#measures;
      // Lazy iteration reads ahead in proportion to what the consumer has taken.
      if (!this.#collectAll) size = Math.min(size, Math.max(1, this.#consumed), LAZY_MAX_CHUNK);
    }
    const perItem = Math.max(this.#perItemMs, 1e-6);
    // Not so small that the round trip costs more than the work, not so big that balance
    // suffers. Lazy iteration has no floor: it reads ahead only as far as the consumer takes.
    const floorByTime = this.#collectAll ? Math.ceil(MIN_CHUNK_MS / perItem) : 1;
    const ceilingByTime = Math.max(1, Math.floor(TARGET_CHUNK_MS / perItem));
    size = Math.max(1, Math.min(Math.max(size, floorByTime), ceilingByTime, this.#maxBatch));
    this.#lastSize = size;
    return size;
  }

  /**
   * Items each worker's probe takes: one, unless the input is long enough that a few more are a
   * negligible share of each worker's part (under 1%), which measures tiny tasks far better
   * (the fixed cost of a request is not charged to one item) at no risk to balance.
   */
  #probeSize(): number {
    if (this.#total === undefined) return 1;
    return Math.max(1, Math.min(PROBE_MAX_ITEMS, Math.floor(this.#total / this.#parallelism / 128)));
  }

  #dispatch(firstIndex: number, items: unknown[] | Float64Array): void {
    let carried: Prepared | undefined;
    try {
      carried =
        items instanceof Float64Array
          ? this.#dispatcher.prepareSingles(this.#task, [], firstIndex) // the task's checks only
          : this.#spread
            ? this.#dispatcher.prepareBatch(this.#task, items as unknown[][], firstIndex)
            : this.#dispatcher.prepareSingles(this.#task, items, firstIndex);
    } catch (error) {
      this.#fail(error, true);
      return;
    }
    const count = items.length;
    const request = new ChunkRequest(
      this.#task as TaskRef | LocalFunction,
      this.#taskName,
      firstIndex,
      this.#spread ? (items as unknown[][]) : undefined,
      this.#spread ? undefined : (items as unknown[] | Float64Array),
      carried,
      this.#timeout,
      (index, update) => this.#progress(index, update),
    );
    let startedAt = 0;
    const entry: Entry = {
      request,
      state: 0,
      observed: undefined,
      started: () => {
        startedAt = performance.now();
      },
      done: (result) => {
        this.#entries.delete(entry);
        this.#measure(result.busyMs ?? performance.now() - startedAt, count);
        this.#deliver(firstIndex, count, result);
      },
      fail: (error) => {
        this.#entries.delete(entry);
        this.#deliverFailure(firstIndex, count, error);
      },
    };
    this.#entries.add(entry);
    this.#dispatcher.enqueue(entry);
  }

  #measure(ms: number, size: number): void {
    this.#measures++;
    const perItem = ms / size;
    // A batch that ran at less than half the estimate is believed at once: the probe's single
    // item (cold code, fixed costs not shared) overstates the time of tiny tasks many times over,
    // and halving the gap per batch would keep the first waves of batches small. Batch sizes stay
    // capped by a fair share of what remains, so a wrong guess costs little balance.
    const estimate = this.#perItemMs;
    this.#perItemMs = estimate === undefined || perItem < estimate / 2 ? perItem : (estimate + perItem) / 2;
  }

  #deliver(firstIndex: number, count: number, result: ExecResult): void {
    if (this.#stopped) return;
    const errors = result.errors;
    const onResult = this.#options.onResult;
    if (errors === undefined && this.#sink.chunk !== undefined) {
      this.#finished += count;
      this.#sink.chunk(firstIndex, result.values, count);
      if (onResult !== undefined) for (let i = 0; i < count; i++) onResult(result.values[i], firstIndex + i);
      this.#options.onProgress?.({ done: this.#finished, total: this.#total });
      void this.#pump();
      this.#checkDone();
      return;
    }
    for (let i = 0; i < count; i++) {
      const index = firstIndex + i;
      const error = errors?.get(i);
      if (error !== undefined) {
        this.#finished++;
        if (!this.#sink.error(index, error)) {
          this.#fail(error, false);
          return;
        }
      } else {
        const value = result.values[i];
        this.#finished++;
        this.#sink.value(index, value);
        if (onResult !== undefined) onResult(value, index);
      }
    }
    this.#options.onProgress?.({ done: this.#finished, total: this.#total });
    void this.#pump();
    this.#checkDone();
  }

  #deliverFailure(firstIndex: number, count: number, error: unknown): void {
    if (this.#stopped) return;
    for (let i = 0; i < count; i++) {
      this.#finished++;
      if (!this.#sink.error(firstIndex + i, error)) {
        this.#fail(error, false);
        return;
      }
    }
    this.#options.onProgress?.({ done: this.#finished, total: this.#total });
    void this.#pump();
    this.#checkDone();
  }

  #progress(index: number, update: ProgressUpdate): void {
    this.#options.onProgress?.({ done: this.#finished, total: this.#total, index, update });
    this.#dispatcher.emitProgress({ ...update, task: this.#taskName, index });
  }

  #checkDone(): void {
    if (!this.#stopped && this.#exhausted && this.#entries.size === 0 && !this.#pumping) {
      this.#stopped = true;
      this.#resolve();
    }
  }

  /** Ends the run with `error`: queued chunks are dropped; running ones cancelled when `cancelRunning`. */
  #fail(error: unknown, cancelRunning: boolean): void {
    if (this.#stopped) return;
    this.#stopped = true;
    const reason = error instanceof Error ? error : new TaskAbortedError(this.#taskName, error);
    this.#cancelAll(new TaskAbortedError(this.#taskName, reason), cancelRunning);
    this.#reject(error);
  }

  #cancelAll(reason: Error, cancelRunning: boolean): void {
    for (const entry of [...this.#entries]) {
      if (entry.state === 0 || cancelRunning) this.#dispatcher.withdraw(entry, reason);
    }
    this.#entries.clear();
  }
}
