/**
 * The worker side of the threads and processes backends: it receives batches of requests,
 * runs them one request at a time in arrival order, and sends results back in batches.
 *
 * Synchronous tasks run in a tight loop with no promise per item; the loop turns asynchronous
 * only when a task returns a promise. Results are sent once the requests at hand are done
 * (after any further message already waiting has been read), and at least every millisecond
 * while a long run of requests goes on, so finished results are not held back.
 */
import { deserializeError, type SerializedError, serializeError } from '../../core/error-codec.js';
import {
  type ProgressUpdate,
  runInScope,
  setWorkerContext,
  type TaskScope,
} from '../../core/task-context.js';
import { loadTaskFunction, type TaskFunction } from '../../core/task-loader.js';
import { isMoved } from '../../core/transfer.js';
import { startWorkerSpan, type WorkerSpan } from '../../observe/tracing.js';
import {
  DONE_FAILED,
  DONE_ONE,
  DONE_PACKED,
  DONE_SKIPPED,
  DONE_VALUES,
  FLAG_ONE_ARG,
  FLAG_PACKED,
  FLAG_SINGLE,
  FLAG_TIMED,
  type ParentMessage,
  RUN_HEADER,
  type TaskDefinition,
  type WorkerMessage,
  type WorkerSetup,
} from './protocol.js';

/** How a worker talks to its pool: a MessagePort or an IPC channel. */
export interface WorkerTransport {
  send(message: WorkerMessage, transfer?: ArrayBuffer[]): void;
  /** Records that `count` requests have been taken (threads: a shared counter; processes: nothing). */
  markStarted(count: number): void;
  /** Whether ArrayBuffers can be moved (threads) rather than copied. */
  readonly canTransfer: boolean;
}

/** Results are flushed at least this often while a run of requests goes on. */
const FLUSH_EVERY_MS = 1;
/** Fewer results than this are sent as a plain array. */
const PACK_MIN = 16;

interface TaskEntry {
  readonly module: string;
  readonly name: string;
  readonly taskName: string;
  fn: TaskFunction | undefined;
}

/** One request being run: what an asynchronous item needs to carry on where it stopped. */
interface Running {
  readonly id: number;
  readonly fn: TaskFunction;
  readonly items: unknown;
  readonly flags: number;
  readonly count: number;
  readonly firstIndex: number;
  readonly scope: CallScope;
  readonly startedAt: number;
  values: unknown[] | undefined;
  single: unknown;
  /** Whether the task returned a plain value (so the rest of the batch can run in a tight loop). */
  synchronous: boolean;
  /** A promise an item of a tight loop returned. */
  pending: unknown;
  errors: [number, SerializedError][] | null;
  /** The worker's span, when the request carried a traceparent. */
  span: WorkerSpan | undefined;
}

class CallScope implements TaskScope {
  readonly task: string;
  index: number;
  #controller: AbortController | undefined;
  readonly #id: number;
  readonly #loop: WorkerLoop;

  constructor(loop: WorkerLoop, id: number, task: string, index: number) {
    this.#loop = loop;
    this.#id = id;
    this.task = task;
    this.index = index;
  }

  get signal(): AbortSignal {
    this.#controller ??= new AbortController();
    return this.#controller.signal;
  }

  abort(reason: Error): void {
    this.#controller ??= new AbortController();
    if (!this.#controller.signal.aborted) this.#controller.abort(reason);
  }

  progress(update: ProgressUpdate): void {
    this.#loop.sendProgress(this.#id, this.index, update);
  }
}

const AsyncFunctionPrototype = Object.getPrototypeOf(async () => {}) as unknown;

/** The argument list of item `i` of a request. */
function argumentsOf(running: Running, i: number): unknown[] {
  if ((running.flags & FLAG_SINGLE) !== 0) return running.items as unknown[];
  if ((running.flags & (FLAG_PACKED | FLAG_ONE_ARG)) !== 0) return [(running.items as ArrayLike<unknown>)[i]];
  return (running.items as unknown[][])[i] as unknown[];
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

export class WorkerLoop {
  readonly #transport: WorkerTransport;
  readonly #tasks = new Map<number, TaskEntry>();
  /** Queued requests (see protocol.ts for the layout). */
  #queue: unknown[] = [];
  #head = 0;
  readonly #cancelled = new Set<number>();
  #taken = 0;
  #ready = false;
  #busy = false;
  #current: Running | undefined;
  #out: unknown[] = [];
  #outTransfer: ArrayBuffer[] | undefined;
  #flushScheduled = false;
  /** Request id -> traceparent, for traced requests not started yet. */
  #traces: Map<number, unknown> | undefined;
  readonly #flushLater = () => {
    this.#flushScheduled = false;
    if (!this.#busy) this.#flush();
  };

  constructor(transport: WorkerTransport) {
    this.#transport = transport;
  }

  receive(message: ParentMessage): void {
    switch (message[0]) {
      case 'init':
        void this.#initialize(message[1]);
        return;
      case 'run':
        if (message[1] !== null) this.#define(message[1]);
        if (message[3] !== undefined) this.#trace(message[3]);
        this.#enqueue(message[2]);
        this.#pump();
        return;
      case 'abort':
        this.#abort(message[1], deserializeError(message[2]));
        return;
      case 'close':
        return;
    }
  }

  sendProgress(id: number, index: number, update: ProgressUpdate): void {
    this.#transport.send(['progress', id, index, update]);
  }

  #define(definitions: TaskDefinition[]): void {
    for (const [key, module, name, taskName] of definitions) {
      this.#tasks.set(key, { module, name, taskName, fn: undefined });
    }
  }

  #trace(traces: unknown[]): void {
    const map = (this.#traces ??= new Map());
    for (let i = 0; i + 1 < traces.length; i += 2) map.set(traces[i] as number, traces[i + 1]);
  }

  #enqueue(calls: unknown[]): void {
    if (this.#head >= this.#queue.length) {
      this.#queue = calls;
      this.#head = 0;
    } else {
      for (const value of calls) this.#queue.push(value);
    }
  }

  async #initialize(setup: WorkerSetup): Promise<void> {
    if (setup.initializer !== null) {
      try {
        const fn = await loadTaskFunction(setup.initializer.module, setup.initializer.name);
        setWorkerContext(await fn(...setup.initializerArgs));
      } catch (error) {
        this.#transport.send(['fatal', serializeError(error), 'init']);
        return;
      }
    }
    this.#ready = true;
    this.#transport.send(['ready']);
    this.#pump();
  }

  #abort(id: number, reason: Error): void {
    if (this.#current?.id === id) {
      this.#current.scope.abort(reason);
      return;
    }
    const queue = this.#queue;
    for (let at = this.#head; at < queue.length; at = nextRecord(queue, at)) {
      if (queue[at] === id) {
        this.#cancelled.add(id);
        return;
      }
    }
  }

  /** Runs queued requests synchronously until one has to wait (a module to load, an async task). */
  #pump(): void {
    if (this.#busy || !this.#ready) return;
    this.#busy = true;
    let since = performance.now();
    const queue = this.#queue;
    while (this.#head < queue.length) {
      const at = this.#head;
      const id = queue[at] as number;
      const flags = queue[at + 3] as number;
      let items: unknown;
      if ((flags & FLAG_SINGLE) !== 0) {
        const argc = queue[at + RUN_HEADER] as number;
        const start = at + RUN_HEADER + 1;
        items = argc === 1 ? [queue[start]] : queue.slice(start, start + argc);
        this.#head = start + argc;
      } else {
        items = queue[at + RUN_HEADER];
        this.#head = at + RUN_HEADER + 1;
      }
      this.#transport.markStarted(++this.#taken);
      if (this.#cancelled.size > 0 && this.#cancelled.delete(id)) {
        this.#out.push(id, DONE_SKIPPED, null, null, 0);
        continue;
      }
      const task = this.#tasks.get(queue[at + 1] as number) as TaskEntry;
      const firstIndex = queue[at + 2] as number;
      if (task.fn === undefined) {
        this.#flush();
        this.#loadThenRun(task, id, items, firstIndex, flags);
        return;
      }
      if (!this.#start(task, task.fn, id, items, firstIndex, flags)) return;
      if (performance.now() - since > FLUSH_EVERY_MS) {
        this.#flush();
        since = performance.now();
      }
    }
    this.#queue = [];
    this.#head = 0;
    this.#busy = false;
    if (!this.#flushScheduled && this.#out.length > 0) {
      // Read any message already waiting before answering, so replies batch up.
      this.#flushScheduled = true;
      setImmediate(this.#flushLater);
    }
  }

  #loadThenRun(task: TaskEntry, id: number, items: unknown, firstIndex: number, flags: number): void {
    loadTaskFunction(task.module, task.name).then(
      (fn) => {
        task.fn = fn;
        if (this.#start(task, fn, id, items, firstIndex, flags)) this.#resume();
      },
      (error: unknown) => {
        this.#out.push(id, DONE_FAILED, serializeError(error), null, 0);
        this.#resume();
      },
    );
  }

  #resume(): void {
    this.#busy = false;
    this.#pump();
  }

  #start(
    task: TaskEntry,
    fn: TaskFunction,
    id: number,
    items: unknown,
    firstIndex: number,
    flags: number,
  ): boolean {
    const count = (flags & FLAG_SINGLE) !== 0 ? 1 : (items as { length: number }).length;
    const running: Running = {
      id,
      fn,
      items,
      flags,
      count,
      firstIndex,
      scope: new CallScope(this, id, task.taskName, firstIndex),
      startedAt: performance.now(),
      values: count === 1 && (flags & FLAG_SINGLE) !== 0 ? undefined : new Array(count),
      single: undefined,
      synchronous: false,
      pending: undefined,
      errors: null,
      span: undefined,
    };
    this.#current = running;
    if ((flags & FLAG_TIMED) !== 0) this.#transport.send(['started', id]);
    const traces = this.#traces;
    if (traces !== undefined && traces.size > 0 && traces.has(id)) {
      const span = startWorkerSpan(traces.get(id), task.taskName, `pid ${process.pid}`);
      traces.delete(id);
      if (span !== undefined) {
        running.span = span;
        return span.run(() => this.#run(running, 0));
      }
    }
    return this.#run(running, 0);
  }

  /**
   * Runs the items of a request from `from`. Returns true when it finished synchronously;
   * false when a task returned a promise (the request then finishes, and the loop resumes, later).
   *
   * Items go one by one through runInScope until one returns a plain value; the rest of the
   * batch then runs in one tight loop inside a single scope (see #runBatch). A function that
   * returned a plain value once is taken to be synchronous: should a later item of the same
   * batch return a promise after all, its result is still awaited, though progress it reports
   * after its first `await` is not delivered.
   */
  #run(running: Running, from: number): boolean {
    const { fn, count, scope, firstIndex } = running;
    for (let i = from; i < count; i++) {
      if (running.synchronous && count - i > 1) {
        i = runInScope(scope, this.#runBatch as (...args: unknown[]) => unknown, [running, i]) as number;
        if (i >= count) break;
        return this.#await(running, i, running.pending);
      }
      scope.index = firstIndex + i;
      let value: unknown;
      try {
        value = runInScope(scope, fn, argumentsOf(running, i));
      } catch (error) {
        (running.errors ??= []).push([i, serializeError(error)]);
        continue;
      }
      if (isThenable(value)) return this.#await(running, i, value);
      this.#store(running, i, value);
      if (Object.getPrototypeOf(fn) !== AsyncFunctionPrototype) running.synchronous = true;
    }
    this.#current = undefined;
    this.#finish(running);
    return true;
  }

  /** Runs items from `from` in the current scope; returns where it stopped (count, or an item that returned a promise). */
  readonly #runBatch = (running: Running, from: number): number => {
    const { fn, count, scope, firstIndex, flags } = running;
    const values = running.values as unknown[];
    const packed =
      (flags & (FLAG_PACKED | FLAG_ONE_ARG)) !== 0 ? (running.items as ArrayLike<unknown>) : undefined;
    const lists = running.items as unknown[][];
    for (let i = from; i < count; i++) {
      scope.index = firstIndex + i;
      let value: unknown;
      try {
        value = packed !== undefined ? fn(packed[i]) : fn(...(lists[i] as unknown[]));
      } catch (error) {
        (running.errors ??= []).push([i, serializeError(error)]);
        continue;
      }
      if (isThenable(value)) {
        running.pending = value;
        return i;
      }
      values[i] = value;
    }
    return count;
  };

  #await(running: Running, i: number, value: unknown): false {
    running.pending = undefined;
    this.#flush();
    Promise.resolve(value).then(
      (settled) => {
        this.#store(running, i, settled);
        if (this.#run(running, i + 1)) this.#resume();
      },
      (error: unknown) => {
        (running.errors ??= []).push([i, serializeError(error)]);
        if (this.#run(running, i + 1)) this.#resume();
      },
    );
    return false;
  }

  #store(running: Running, i: number, value: unknown): void {
    if (running.values === undefined) running.single = value;
    else running.values[i] = value;
  }

  #finish(running: Running): void {
    const { id, errors } = running;
    const ms = performance.now() - running.startedAt;
    running.span?.end(errors !== null ? errors[0]?.[1] : undefined);
    if (running.values === undefined) {
      if (errors !== null) this.#out.push(id, DONE_VALUES, [undefined], errors, ms);
      else this.#out.push(id, DONE_ONE, this.#unwrap(running.single), null, ms);
      return;
    }
    const values = running.values;
    let allNumbers = values.length >= PACK_MIN && errors === null;
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      if (typeof value !== 'number') {
        allNumbers = false;
        values[i] = this.#unwrap(value);
      }
    }
    if (allNumbers) {
      const packed = Float64Array.from(values as number[]);
      if (this.#transport.canTransfer) (this.#outTransfer ??= []).push(packed.buffer as ArrayBuffer);
      this.#out.push(id, DONE_PACKED, packed, null, ms);
    } else {
      this.#out.push(id, DONE_VALUES, values, errors, ms);
    }
  }

  /** A result wrapped in move(): its content, its buffers listed for transfer (threads). */
  #unwrap(value: unknown): unknown {
    if (!isMoved(value)) return value;
    if (this.#transport.canTransfer) {
      const list = (this.#outTransfer ??= []);
      for (const buffer of value.transferList) if (!list.includes(buffer)) list.push(buffer);
    }
    return value.value;
  }

  #flush(): void {
    if (this.#out.length === 0) return;
    const out = this.#out;
    const transfer = this.#outTransfer;
    this.#out = [];
    this.#outTransfer = undefined;
    this.#transport.send(['done', out], transfer);
  }
}

/** Where the request after the one at `at` starts in a `run` message. */
function nextRecord(queue: readonly unknown[], at: number): number {
  const flags = queue[at + 3] as number;
  return (flags & FLAG_SINGLE) !== 0
    ? at + RUN_HEADER + 1 + (queue[at + RUN_HEADER] as number)
    : at + RUN_HEADER + 1;
}
