/**
 * The worker side of the threads and processes backends: it receives batches of requests,
 * runs them one request at a time in arrival order, and sends results back in batches.
 *
 * Synchronous tasks run in a tight loop with no promise per item; the loop turns asynchronous
 * only when a task returns a promise. Results finished in one go leave in one message, flushed
 * at least every millisecond so a long batch does not hold finished results back.
 */
import { deserializeError, serializeError } from '../../core/error-codec.js';
import {
  type ProgressUpdate,
  runInScope,
  setWorkerContext,
  type TaskScope,
} from '../../core/task-context.js';
import { loadTaskFunction, type TaskFunction } from '../../core/task-loader.js';
import { isMoved } from '../../core/transfer.js';
import {
  DONE_FAILED,
  DONE_PACKED,
  DONE_SKIPPED,
  DONE_VALUES,
  FLAG_PACKED,
  FLAG_TIMED,
  type ParentMessage,
  type WireCall,
  type WireDone,
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

/** Results are flushed at least this often while a batch of requests runs. */
const FLUSH_EVERY_MS = 1;
/** Fewer results than this are sent as a plain array. */
const PACK_MIN = 16;

type Thenable = PromiseLike<unknown>;

function isThenable(value: unknown): value is Thenable {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
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

  readonly progress = (update: ProgressUpdate): void => {
    this.#loop.sendProgress(this.#id, this.index, update);
  };
}

interface QueuedCall {
  readonly wire: WireCall;
  cancelled: boolean;
}

export class WorkerLoop {
  readonly #transport: WorkerTransport;
  #queue: (QueuedCall | undefined)[] = [];
  #head = 0;
  #taken = 0;
  #ready = false;
  #busy = false;
  #current: { id: number; scope: CallScope } | undefined;
  readonly #functions = new Map<string, TaskFunction>();
  #out: WireDone[] = [];
  #outTransfer: ArrayBuffer[] | undefined;
  #batchStart = 0;

  constructor(transport: WorkerTransport) {
    this.#transport = transport;
  }

  receive(message: ParentMessage): void {
    switch (message[0]) {
      case 'init':
        void this.#initialize(message[1]);
        return;
      case 'run':
        for (const wire of message[1]) this.#queue.push({ wire, cancelled: false });
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
    for (let i = this.#head; i < this.#queue.length; i++) {
      const queued = this.#queue[i];
      if (queued?.wire[0] === id) {
        queued.cancelled = true;
        return;
      }
    }
  }

  /** Runs queued requests synchronously until one needs to wait (module load, async task). */
  #pump(): void {
    if (this.#busy || !this.#ready) return;
    this.#busy = true;
    this.#batchStart = performance.now();
    while (this.#head < this.#queue.length) {
      const queued = this.#queue[this.#head] as QueuedCall;
      this.#queue[this.#head++] = undefined;
      this.#transport.markStarted(++this.#taken);
      const wire = queued.wire;
      if (queued.cancelled) {
        this.#out.push([wire[0], DONE_SKIPPED, null, undefined]);
        continue;
      }
      const key = `${wire[2]}\u0000${wire[1]}`;
      const fn = this.#functions.get(key);
      if (fn === undefined) {
        this.#flush();
        this.#loadThenRun(wire, key);
        return;
      }
      if (!this.#run(wire, fn, 0, new Array(itemCount(wire[4])), undefined)) return;
      if (this.#out.length > 0 && performance.now() - this.#batchStart > FLUSH_EVERY_MS) {
        this.#flush();
        this.#batchStart = performance.now();
      }
    }
    this.#queue = [];
    this.#head = 0;
    this.#busy = false;
    this.#flush();
  }

  #loadThenRun(wire: WireCall, key: string): void {
    loadTaskFunction(wire[1], wire[2]).then(
      (fn) => {
        this.#functions.set(key, fn);
        if (this.#run(wire, fn, 0, new Array(itemCount(wire[4])), undefined)) this.#resume();
      },
      (error: unknown) => {
        this.#out.push([wire[0], DONE_FAILED, serializeError(error), undefined]);
        this.#resume();
      },
    );
  }

  #resume(): void {
    this.#busy = false;
    this.#pump();
  }

  /**
   * Runs the items of a request from `from`. Returns true when it finished synchronously;
   * false when a task returned a promise (the request then finishes and the loop resumes later).
   */
  #run(
    wire: WireCall,
    fn: TaskFunction,
    from: number,
    values: unknown[],
    errors: [number, ReturnType<typeof serializeError>][] | undefined,
  ): boolean {
    const [id, , , taskName, items, firstIndex, flags] = wire;
    const packed = (flags & FLAG_PACKED) !== 0;
    const scope =
      this.#current?.id === id ? this.#current.scope : new CallScope(this, id, taskName, firstIndex);
    this.#current = { id, scope };
    if (from === 0 && (flags & FLAG_TIMED) !== 0) this.#transport.send(['started', id]);
    const count = values.length;
    for (let i = from; i < count; i++) {
      scope.index = firstIndex + i;
      try {
        const value = runInScope(
          scope,
          fn,
          packed ? [(items as Float64Array)[i]] : ((items as readonly unknown[][])[i] as unknown[]),
        );
        if (isThenable(value)) {
          this.#flush();
          Promise.resolve(value).then(
            (settled) => {
              values[i] = settled;
              if (this.#run(wire, fn, i + 1, values, errors)) this.#resume();
            },
            (error: unknown) => {
              (errors ??= []).push([i, serializeError(error)]);
              if (this.#run(wire, fn, i + 1, values, errors)) this.#resume();
            },
          );
          return false;
        }
        values[i] = value;
      } catch (error) {
        (errors ??= []).push([i, serializeError(error)]);
      }
    }
    this.#current = undefined;
    this.#finish(id, values, errors);
    return true;
  }

  #finish(
    id: number,
    values: unknown[],
    errors: [number, ReturnType<typeof serializeError>][] | undefined,
  ): void {
    let allNumbers = values.length >= PACK_MIN && errors === undefined;
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      if (typeof value !== 'number') {
        allNumbers = false;
        if (isMoved(value)) {
          values[i] = value.value;
          if (this.#transport.canTransfer) {
            this.#outTransfer ??= [];
            for (const buffer of value.transferList) {
              if (!this.#outTransfer.includes(buffer)) this.#outTransfer.push(buffer);
            }
          }
        }
      }
    }
    if (allNumbers) {
      this.#out.push([id, DONE_PACKED, Float64Array.from(values as number[]), undefined]);
    } else {
      this.#out.push([id, DONE_VALUES, values, errors]);
    }
  }

  #flush(): void {
    if (this.#out.length === 0) return;
    const out = this.#out;
    const transfer = this.#outTransfer;
    this.#out = [];
    this.#outTransfer = undefined;
    if (this.#transport.canTransfer) {
      let list = transfer;
      for (const done of out) {
        if (done[1] === DONE_PACKED) (list ??= []).push((done[2] as Float64Array).buffer as ArrayBuffer);
      }
      this.#transport.send(['done', out], list);
    } else {
      this.#transport.send(['done', out]);
    }
  }
}

function itemCount(items: WireCall[4]): number {
  return items.length;
}
