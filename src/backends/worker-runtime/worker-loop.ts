/**
 * The worker side of the threads and processes backends: it receives batches of requests, runs
 * them in arrival order, and sends results back in batches.
 *
 * Synchronous tasks run in a tight loop with no promise per item. A request whose task returns
 * a promise waits for it; meanwhile the worker starts the next requests, up to `tasksPerWorker`
 * at once, so one worker can keep many downloads in flight (synchronous tasks never overlap:
 * they cannot). Results are sent once the requests at hand are done (after any further message
 * already waiting has been read), and at least every millisecond while a long run of requests
 * goes on. After a request that ran long the loop lets waiting messages in before the next one,
 * so a pool can take back (revoke) what is queued behind it.
 *
 * Results are checked before they leave: a function, a symbol, a Proxy or a class instance in a
 * result fails that item with UncloneableResultError instead of killing the worker.
 */
import { findUncloneableResult, restoreBuffers } from '../../core/arguments.js';
import { deserializeError, type SerializedError, serializeError } from '../../core/error-codec.js';
import { UncloneableResultError } from '../../core/errors.js';
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
  FLAG_BUFFERS,
  FLAG_ONE_ARG,
  FLAG_PACKED,
  FLAG_SINGLE,
  FLAG_TIMED,
  type ParentMessage,
  RUN_HEADER,
  type TaskDefinition,
  type WireBufferPaths,
  type WorkerMessage,
  type WorkerSetup,
} from './protocol.js';

/** How a worker talks to its pool: a MessagePort or an IPC channel. */
export interface WorkerTransport {
  send(message: WorkerMessage, transfer?: ArrayBuffer[]): void;
  /**
   * Takes the request with sequence number `seq` (its position in everything received): false
   * when the pool has revoked it (threads, through the claim table); processes always take it.
   */
  claim(seq: number): boolean;
  /** Whether ArrayBuffers can be moved (threads) rather than copied. */
  readonly canTransfer: boolean;
}

/** Results are flushed at least this often while a run of requests goes on. */
const FLUSH_EVERY_MS = 1;
/** After a request that ran this long, waiting messages are read before the next one starts. */
const YIELD_AFTER_MS = 2;
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
  fn: TaskFunction;
  readonly items: unknown;
  readonly flags: number;
  readonly count: number;
  readonly firstIndex: number;
  readonly scope: CallScope;
  startedAt: number;
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
const notLoaded: TaskFunction = () => undefined;

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

function isPrimitive(value: unknown): boolean {
  return (
    value === null || (typeof value !== 'object' && typeof value !== 'function' && typeof value !== 'symbol')
  );
}

export class WorkerLoop {
  readonly #transport: WorkerTransport;
  readonly #tasks = new Map<number, TaskEntry>();
  /** Queued requests (see protocol.ts for the layout). */
  #queue: unknown[] = [];
  #head = 0;
  /** Requests taken off the queue so far, skipped ones included: the next one's sequence number. */
  #seq = 0;
  /** Aborted before they started: answered as skipped. */
  readonly #cancelled = new Set<number>();
  /** Taken back by the pool (`revoke`): dropped without an answer. */
  readonly #revoked = new Set<number>();
  #ready = false;
  #pumping = false;
  #limit = 1;
  #noteBuffers = false;
  /** Requests started and waiting on a promise (or on their module loading), by id. */
  readonly #active = new Map<number, Running>();
  #out: unknown[] = [];
  #outTransfer: ArrayBuffer[] | undefined;
  #flushScheduled = false;
  #pumpScheduled = false;
  /** Request id -> traceparent, for traced requests not started yet. */
  #traces: Map<number, unknown> | undefined;
  readonly #flushLater = () => {
    this.#flushScheduled = false;
    if (!this.#pumping) this.#flush();
  };
  readonly #pumpLater = () => {
    this.#pumpScheduled = false;
    this.#pump();
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
      case 'revoke':
        this.#revoke(message[1]);
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
    this.#limit = Math.max(1, setup.tasksPerWorker);
    this.#noteBuffers = setup.noteBuffers;
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
    const active = this.#active.get(id);
    if (active !== undefined) {
      active.scope.abort(reason);
      return;
    }
    if (this.#isQueued(id)) this.#cancelled.add(id);
  }

  #revoke(requests: [id: number, seq: number][]): void {
    const taken: number[] = [];
    for (const [id] of requests) {
      if (this.#isQueued(id)) {
        this.#revoked.add(id);
        taken.push(id);
      }
    }
    this.#transport.send(['revoked', taken]);
  }

  #isQueued(id: number): boolean {
    const queue = this.#queue;
    for (let at = this.#head; at < queue.length; at = nextRecord(queue, at)) {
      if (queue[at] === id) return true;
    }
    return false;
  }

  /** Starts queued requests until the queue is empty or `tasksPerWorker` of them wait on promises. */
  #pump(): void {
    if (this.#pumping || !this.#ready) return;
    this.#pumping = true;
    let since = performance.now();
    const queue = this.#queue;
    while (this.#head < queue.length && this.#active.size < this.#limit) {
      const at = this.#head;
      const id = queue[at] as number;
      const flags = queue[at + 3] as number;
      let items: unknown;
      let next: number;
      if ((flags & FLAG_SINGLE) !== 0) {
        const argc = queue[at + RUN_HEADER] as number;
        const start = at + RUN_HEADER + 1;
        items = argc === 1 ? [queue[start]] : queue.slice(start, start + argc);
        next = start + argc;
      } else {
        items = queue[at + RUN_HEADER];
        next = at + RUN_HEADER + 1;
      }
      if ((flags & FLAG_BUFFERS) !== 0) {
        const paths = queue[next++] as WireBufferPaths;
        restoreBuffers(items, paths);
      }
      this.#head = next;
      if (!this.#transport.claim(this.#seq++)) continue;
      if (this.#revoked.size > 0 && this.#revoked.delete(id)) continue;
      if (this.#cancelled.size > 0 && this.#cancelled.delete(id)) {
        this.#traces?.delete(id);
        this.#out.push(id, DONE_SKIPPED, null, null, 0, null);
        continue;
      }
      const task = this.#tasks.get(queue[at + 1] as number) as TaskEntry;
      const firstIndex = queue[at + 2] as number;
      const running = this.#begin(task, id, items, firstIndex, flags);
      if (task.fn === undefined) {
        this.#flush();
        this.#loadThenRun(task, running);
        continue;
      }
      this.#runTraced(running);
      const now = performance.now();
      if (now - since > FLUSH_EVERY_MS) {
        this.#flush();
        since = now;
      }
      if (now - running.startedAt > YIELD_AFTER_MS && this.#head < queue.length) {
        // A long request just ended: read what is waiting (aborts, revokes) before the next.
        this.#flush();
        this.#schedulePump();
        break;
      }
    }
    if (this.#head >= queue.length && queue === this.#queue) {
      this.#queue = [];
      this.#head = 0;
    }
    this.#pumping = false;
    this.#scheduleFlush();
  }

  #schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    setImmediate(this.#pumpLater);
  }

  #scheduleFlush(): void {
    if (!this.#flushScheduled && this.#out.length > 0) {
      // Read any message already waiting before answering, so replies batch up.
      this.#flushScheduled = true;
      setImmediate(this.#flushLater);
    }
  }

  #begin(task: TaskEntry, id: number, items: unknown, firstIndex: number, flags: number): Running {
    const count = (flags & FLAG_SINGLE) !== 0 ? 1 : (items as { length: number }).length;
    if ((flags & FLAG_TIMED) !== 0) this.#transport.send(['started', id]);
    return {
      id,
      fn: task.fn ?? notLoaded,
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
  }

  /** Runs a request from its first item, inside the worker's span when it was traced. */
  #runTraced(running: Running): void {
    const traces = this.#traces;
    if (traces !== undefined && traces.size > 0 && traces.has(running.id)) {
      const span = startWorkerSpan(traces.get(running.id), running.scope.task, `pid ${process.pid}`);
      traces.delete(running.id);
      if (span !== undefined) {
        running.span = span;
        span.run(() => this.#run(running, 0));
        return;
      }
    }
    this.#run(running, 0);
  }

  #loadThenRun(task: TaskEntry, running: Running): void {
    this.#active.set(running.id, running);
    loadTaskFunction(task.module, task.name).then(
      (fn) => {
        task.fn = fn;
        running.fn = fn;
        running.startedAt = performance.now();
        this.#active.delete(running.id);
        this.#runTraced(running);
        this.#pump();
      },
      (error: unknown) => {
        this.#active.delete(running.id);
        this.#out.push(running.id, DONE_FAILED, serializeError(error), null, 0, null);
        this.#pump();
      },
    );
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
    this.#active.set(running.id, running);
    this.#flush();
    Promise.resolve(value).then(
      (settled) => {
        this.#store(running, i, settled);
        this.#resume(running, i + 1);
      },
      (error: unknown) => {
        (running.errors ??= []).push([i, serializeError(error)]);
        this.#resume(running, i + 1);
      },
    );
    return false;
  }

  /** Carries on with an asynchronous request after one of its items settled. */
  #resume(running: Running, from: number): void {
    this.#active.delete(running.id);
    if (this.#run(running, from)) {
      this.#scheduleFlush();
      this.#pump();
    }
  }

  #store(running: Running, i: number, value: unknown): void {
    if (running.values === undefined) running.single = value;
    else running.values[i] = value;
  }

  #finish(running: Running): void {
    const { id } = running;
    let errors = running.errors;
    const ms = performance.now() - running.startedAt;
    running.span?.end(errors !== null ? errors[0]?.[1] : undefined);
    const buffers: WireBufferPaths | undefined = this.#noteBuffers ? [] : undefined;
    if (running.values === undefined) {
      if (errors !== null) {
        this.#out.push(id, DONE_VALUES, [undefined], errors, ms, null);
        return;
      }
      const value = this.#unwrap(running.single);
      const refused = isPrimitive(value) ? undefined : findUncloneableResult(value, buffers, [0]);
      if (refused !== undefined) {
        this.#out.push(id, DONE_VALUES, [undefined], [[0, serializeError(refused)]], ms, null);
      } else {
        this.#out.push(id, DONE_ONE, value, null, ms, buffers?.length ? buffers : null);
      }
      return;
    }
    const values = running.values;
    let allNumbers = values.length >= PACK_MIN && errors === null;
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      if (typeof value === 'number') continue;
      allNumbers = false;
      if (isPrimitive(value)) continue;
      const unwrapped = this.#unwrap(value);
      const refused = isPrimitive(unwrapped) ? undefined : findUncloneableResult(unwrapped, buffers, [i]);
      if (refused !== undefined) {
        values[i] = undefined;
        (errors ??= []).push([i, serializeError(refused)]);
      } else {
        values[i] = unwrapped;
      }
    }
    if (allNumbers) {
      const packed = Float64Array.from(values as number[]);
      if (this.#transport.canTransfer) (this.#outTransfer ??= []).push(packed.buffer as ArrayBuffer);
      this.#out.push(id, DONE_PACKED, packed, null, ms, null);
    } else {
      this.#out.push(id, DONE_VALUES, values, errors, ms, buffers?.length ? buffers : null);
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
    try {
      this.#transport.send(['done', out], transfer);
    } catch (error) {
      this.#sendOneByOne(out, transfer, error);
    }
  }

  /**
   * A batch of results that could not be sent (a value the checks let through that the channel
   * refuses): each request is sent on its own, and one that still fails is answered with the
   * reason instead, so the worker lives and no other request loses its result.
   */
  #sendOneByOne(out: unknown[], transfer: ArrayBuffer[] | undefined, batchError: unknown): void {
    for (let at = 0; at < out.length; at += 6) {
      const record = out.slice(at, at + 6);
      const payload = record[2];
      const own = transfer?.filter(
        (buffer) =>
          (payload instanceof Float64Array && payload.buffer === buffer) ||
          (ArrayBuffer.isView(payload) && payload.buffer === buffer),
      );
      try {
        this.#transport.send(['done', record], own !== undefined && own.length > 0 ? own : undefined);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(batchError);
        const refused = new UncloneableResultError(
          'result',
          `the channel to the pool refused it (${reason})`,
        );
        this.#transport.send([
          'done',
          [record[0], DONE_FAILED, serializeError(refused), null, record[4], null],
        ]);
      }
    }
  }
}

/** Where the request after the one at `at` starts in a `run` message. */
function nextRecord(queue: readonly unknown[], at: number): number {
  const flags = queue[at + 3] as number;
  const end =
    (flags & FLAG_SINGLE) !== 0
      ? at + RUN_HEADER + 1 + (queue[at + RUN_HEADER] as number)
      : at + RUN_HEADER + 1;
  return (flags & FLAG_BUFFERS) !== 0 ? end + 1 : end;
}
