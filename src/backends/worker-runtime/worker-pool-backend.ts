/**
 * The pool side of the threads and processes backends: it starts workers on demand, pipelines
 * several requests per worker, coalesces every request issued in one tick into one message per
 * worker, enforces timeouts, cancels, and survives workers that die.
 *
 * Each worker runs its requests one at a time in the order sent (see worker-loop.ts), so at
 * most one of the requests it holds has started; when a worker dies, the requests it had not
 * started are sent again to another worker, and only the started one fails with
 * WorkerCrashedError. Threads know exactly which started (a shared counter the worker bumps);
 * a child process is assumed to have started the oldest request it holds once its initializer
 * has finished (that request fails; the others are re-run).
 *
 * Pipelining depth adapts to how long requests take: many tiny requests are sent ahead
 * (up to MAX_DEPTH per worker) so the worker never waits for a message; long ones are sent
 * one or two at a time, so that a long task does not hold back work another worker could do.
 */
import {
  type Backend,
  type BackendName,
  type BackendOptions,
  type ExecRequest,
  type ExecResult,
  itemCount,
} from '../../core/backend.js';
import { deserializeError, type SerializedError, serializeError } from '../../core/error-codec.js';
import {
  InvalidArgumentError,
  PoolClosedError,
  TaskAbortedError,
  TaskTimeoutError,
  WorkerCrashedError,
} from '../../core/errors.js';
import { isTaskRef, type TaskRef } from '../../core/task.js';
import {
  DONE_FAILED,
  DONE_FIELDS,
  DONE_ONE,
  DONE_PACKED,
  DONE_SKIPPED,
  FLAG_ONE_ARG,
  FLAG_PACKED,
  FLAG_SINGLE,
  FLAG_TIMED,
  type TaskDefinition,
  type WorkerMessage,
  type WorkerSetup,
} from './protocol.js';
import type { WorkerFactory, WorkerHandle } from './worker-handle.js';

/** Most requests sent ahead to one worker. */
export const MAX_DEPTH = 32;
/** Work queued ahead in a worker is kept around this many milliseconds. */
const QUEUED_WORK_MS = 2;
/**
 * Milliseconds a cancelled or timed-out task has to stop after its signal fired; past it, its
 * worker is ended (and replaced on demand).
 */
export const CANCEL_GRACE_MS = 500;
/** Milliseconds a worker asked to close may take before it is killed. */
const CLOSE_GRACE_MS = 2_000;
/** A request is sent at most this many times when its workers die before starting it. */
const MAX_ATTEMPTS = 3;
/** Batches of at least this many single-number argument lists travel as a Float64Array. */
const PACK_MIN = 16;
/** A message to a worker is sent as soon as the buffers it carries reach this size. */
const MESSAGE_BYTES = 2 * 1024 * 1024;
/** Largest batch the pool should send in one request. */
const MAX_BATCH = 16_384;

interface Call {
  readonly id: number;
  readonly request: ExecRequest;
  readonly resolve: (result: ExecResult) => void;
  readonly reject: (error: unknown) => void;
  settled: boolean;
  attempts: number;
  /** Its buffers were moved to a worker: it cannot be sent again. */
  moved: boolean;
  worker: Slot | undefined;
  timer: NodeJS.Timeout | undefined;
}

class Slot {
  readonly handle: WorkerHandle;
  /** Requests sent and not answered yet, oldest first. */
  readonly held: Call[] = [];
  answered = 0;
  ready = false;
  live = true;
  exited = false;
  refd = false;
  idleTimer: NodeJS.Timeout | undefined;
  closeTimer: NodeJS.Timeout | undefined;
  cause: Error | undefined;
  /** Requests to send, flat (see protocol.ts), and the task definitions they need. */
  outbox: unknown[] = [];
  outCount = 0;
  /** Bytes of the buffers (known through move()) in the outbox. */
  outBytes = 0;
  outDefinitions: TaskDefinition[] | null = null;
  outTransfer: ArrayBuffer[] | undefined;
  /** [request id, traceparent, ...] of traced requests in the outbox (tracing on only). */
  outTraces: unknown[] | undefined;
  /** Task numbers this worker has been told about. */
  readonly known = new Set<number>();
  readonly whenExited: Promise<void>;
  markExited!: () => void;

  constructor(start: (slot: Slot) => WorkerHandle) {
    this.whenExited = new Promise((resolve) => {
      this.markExited = resolve;
    });
    this.handle = start(this);
  }
}

export class WorkerPoolBackend implements Backend {
  readonly name: BackendName;
  readonly slots: number;
  readonly parallelism: number;
  readonly maxBatch = MAX_BATCH;
  readonly acceptsFunctions = false;
  readonly copiesArguments = true;
  readonly #factory: WorkerFactory;
  readonly #setup: WorkerSetup;
  readonly #idleTimeout: number;
  readonly #calls = new Map<ExecRequest, Call>();
  /** Task number of each task (module URL + export name), named once per worker on the wire. */
  readonly #taskKeys = new Map<string, TaskDefinition>();
  readonly #refKeys = new WeakMap<TaskRef, TaskDefinition>();
  #pending: Call[] = [];
  /** Workers that take requests. */
  readonly #live: Slot[] = [];
  /** Every worker not yet exited (live, closing or being killed). */
  readonly #all = new Set<Slot>();
  #nextId = 1;
  #scheduled = false;
  #ended = false;
  /** Moving average of the milliseconds a request runs in its worker. */
  #serviceMs: number | undefined;
  readonly #flushNow = () => this.#flush();

  constructor(name: BackendName, factory: WorkerFactory, options: BackendOptions) {
    this.name = name;
    this.#factory = factory;
    this.parallelism = options.workers;
    this.slots = options.workers * MAX_DEPTH;
    this.#idleTimeout = options.idleTimeout;
    const init = options.initializer;
    if (init !== undefined && !isTaskRef(init)) {
      throw new InvalidArgumentError(
        `the ${name} backend needs the initializer as a task reference (t.setup from tasks(new URL('./tasks.js', import.meta.url))), not a function`,
      );
    }
    this.#setup = {
      initializer: init === undefined ? null : { module: init.module, name: init.name },
      initializerArgs: options.initializerArgs,
    };
  }

  exec(request: ExecRequest): Promise<ExecResult> {
    if (this.#ended) return Promise.reject(new PoolClosedError());
    if (!isTaskRef(request.task)) {
      return Promise.reject(
        new InvalidArgumentError(
          `the ${this.name} backend runs task references only: export the function from a module and pass tasks(...).${request.taskName}`,
        ),
      );
    }
    return new Promise<ExecResult>((resolve, reject) => {
      const call: Call = {
        id: this.#nextId++,
        request,
        resolve,
        reject,
        settled: false,
        attempts: 0,
        moved: false,
        worker: undefined,
        timer: undefined,
      };
      this.#calls.set(request, call);
      this.#pending.push(call);
      this.#schedule();
    });
  }

  cancel(request: ExecRequest, reason: Error): void {
    const call = this.#calls.get(request);
    if (call === undefined || call.settled) return;
    this.#settle(call);
    call.reject(reason);
    const slot = call.worker;
    if (slot === undefined) {
      const at = this.#pending.indexOf(call);
      if (at >= 0) this.#pending.splice(at, 1);
      return;
    }
    this.#stopInWorker(slot, call, reason);
  }

  async close(): Promise<void> {
    this.#ended = true;
    for (const slot of [...this.#all]) {
      // Whoever awaits close() waits for the workers to be gone: keep the process alive until then.
      slot.handle.ref();
      this.#retire(slot);
    }
    await Promise.all([...this.#all].map((slot) => slot.whenExited));
  }

  async terminate(reason: Error): Promise<void> {
    this.#ended = true;
    const pending = this.#pending;
    this.#pending = [];
    for (const call of pending) this.#fail(call, reason);
    for (const slot of [...this.#all]) {
      for (const call of slot.held) this.#fail(call, reason);
      slot.handle.ref();
      this.#kill(slot);
    }
    await Promise.all([...this.#all].map((slot) => slot.whenExited));
  }

  // ---- dispatch ------------------------------------------------------------------------------

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    // After the current turn: every request issued now, and every one the pool issues as the
    // results already received settle, leave together.
    setImmediate(this.#flushNow);
  }

  /** Sends pending requests to workers: one message per worker for everything issued this tick. */
  #flush(): void {
    this.#scheduled = false;
    if (this.#ended) return;
    const pending = this.#pending;
    let taken = 0;
    const depth = this.#depth();
    while (taken < pending.length) {
      let slot: Slot | undefined;
      try {
        slot = this.#pick(depth);
      } catch (error) {
        // A worker could not even be started (bad resourceLimits, missing entry file): the
        // requests waiting for one fail with the reason.
        this.#pending = [];
        for (const call of pending.slice(taken)) this.#fail(call, error);
        break;
      }
      if (slot === undefined) break;
      this.#assign(slot, pending[taken++] as Call);
    }
    if (taken > 0 && this.#pending === pending) {
      this.#pending = taken === pending.length ? [] : pending.slice(taken);
    }
    for (const slot of this.#live) if (slot.outCount > 0) this.#send(slot);
  }

  /** Sends what was assigned to a worker since its last message, as one message. */
  #send(slot: Slot): void {
    const calls = slot.outbox;
    const definitions = slot.outDefinitions;
    const transfer = slot.outTransfer;
    const count = slot.outCount;
    slot.outCount = 0;
    slot.outBytes = 0;
    slot.outbox = [];
    slot.outDefinitions = null;
    slot.outTransfer = undefined;
    const traces = slot.outTraces;
    slot.outTraces = undefined;
    try {
      slot.handle.send(
        traces === undefined ? ['run', definitions, calls] : ['run', definitions, calls, traces],
        transfer,
      );
    } catch (error) {
      // A message that cannot be cloned fails its requests (arguments are checked at submit
      // time, so this is rare); the worker is unharmed.
      if (definitions !== null) for (const definition of definitions) slot.known.delete(definition[0]);
      for (const call of slot.held.splice(slot.held.length - count, count)) this.#fail(call, error);
      this.#whenIdle(slot);
    }
  }

  #depth(): number {
    const ms = this.#serviceMs;
    if (ms === undefined) return MAX_DEPTH;
    return Math.max(1, Math.min(MAX_DEPTH, Math.floor(QUEUED_WORK_MS / Math.max(ms, 1e-6))));
  }

  /** The least busy worker with room, or a new one while fewer than `workers` run and all are busy. */
  #pick(depth: number): Slot | undefined {
    let best: Slot | undefined;
    for (const slot of this.#live) {
      const load = slot.held.length;
      if (load < depth && (best === undefined || load < best.held.length)) best = slot;
    }
    if ((best === undefined || best.held.length > 0) && this.#live.length < this.parallelism) {
      return this.#spawn();
    }
    return best;
  }

  #spawn(): Slot {
    const slot = new Slot((self) =>
      this.#factory.start({
        message: (message) => this.#onMessage(self, message),
        error: (error) => {
          self.cause ??= error;
        },
        exit: (exitCode, signal) => this.#onExit(self, exitCode, signal),
      }),
    );
    this.#live.push(slot);
    this.#all.add(slot);
    slot.handle.send(['init', this.#setup]);
    return slot;
  }

  #assign(slot: Slot, call: Call): void {
    const request = call.request;
    const task = request.task as TaskRef;
    call.worker = slot;
    call.attempts++;
    if (slot.held.length === 0) this.#busy(slot);
    slot.held.push(call);
    let flags = request.timeout !== undefined ? FLAG_TIMED : 0;
    const singles = request.singleArgs;
    const count = singles !== undefined ? singles.length : request.items.length;
    let items: unknown = singles ?? request.items;
    if (count === 1) {
      flags |= FLAG_SINGLE;
    } else {
      if (singles !== undefined) flags |= FLAG_ONE_ARG;
      if (count >= PACK_MIN) {
        const packed = singles !== undefined ? packSingles(singles) : packNumbers(request.items);
        if (packed !== undefined) {
          items = packed;
          flags = (flags & ~FLAG_ONE_ARG) | FLAG_PACKED;
          if (this.#factory.canTransfer) (slot.outTransfer ??= []).push(packed.buffer as ArrayBuffer);
        }
      }
    }
    if (request.transfer !== undefined) {
      if (this.#factory.canTransfer) {
        call.moved = true;
        const list = (slot.outTransfer ??= []);
        for (const buffer of request.transfer) if (!list.includes(buffer)) list.push(buffer);
      }
      for (const buffer of request.transfer) slot.outBytes += buffer.byteLength;
    }
    const key = this.#taskKey(task, request.taskName);
    if (!slot.known.has(key[0])) {
      slot.known.add(key[0]);
      (slot.outDefinitions ??= []).push(key);
    }
    const outbox = slot.outbox;
    slot.outCount++;
    if (request.traceparent !== undefined) (slot.outTraces ??= []).push(call.id, request.traceparent);
    outbox.push(call.id, key[0], request.firstIndex, flags);
    if ((flags & FLAG_SINGLE) !== 0) {
      const args = request.items[0] as readonly unknown[];
      outbox.push(args.length);
      for (let i = 0; i < args.length; i++) outbox.push(args[i]);
    } else {
      outbox.push(items);
    }
    // Copied (not moved) big payloads leave at once, a message per few MiB, so the worker
    // starts on the first while the next is still being copied.
    if (slot.outBytes >= MESSAGE_BYTES && !this.#factory.canTransfer) this.#send(slot);
  }

  #taskKey(task: TaskRef, taskName: string): TaskDefinition {
    let definition = this.#refKeys.get(task);
    if (definition !== undefined) return definition;
    const name = `${task.name}#${task.module}`;
    definition = this.#taskKeys.get(name);
    if (definition === undefined) {
      definition = [this.#taskKeys.size + 1, task.module, task.name, taskName];
      this.#taskKeys.set(name, definition);
    }
    this.#refKeys.set(task, definition);
    return definition;
  }

  #busy(slot: Slot): void {
    if (slot.idleTimer !== undefined) {
      clearTimeout(slot.idleTimer);
      slot.idleTimer = undefined;
    }
    if (!slot.refd) {
      slot.refd = true;
      slot.handle.ref();
    }
  }

  /** A worker with nothing to do no longer keeps the process alive, and ends after idleTimeout. */
  #whenIdle(slot: Slot): void {
    if (slot.held.length > 0 || !slot.live) return;
    if (slot.refd) {
      slot.refd = false;
      slot.handle.unref();
    }
    if (slot.idleTimer === undefined && this.#pending.length === 0) {
      slot.idleTimer = setTimeout(() => {
        slot.idleTimer = undefined;
        if (slot.held.length === 0) this.#retire(slot);
      }, this.#idleTimeout);
      slot.idleTimer.unref();
    }
  }

  // ---- messages from workers -----------------------------------------------------------------

  #onMessage(slot: Slot, message: WorkerMessage): void {
    if (slot.exited) return;
    switch (message[0]) {
      case 'done':
        this.#onDone(slot, message[1]);
        return;
      case 'started': {
        const call = slot.held.find((c) => c.id === message[1]);
        if (call !== undefined && !call.settled) this.#armTimeout(slot, call);
        return;
      }
      case 'progress': {
        const call = slot.held.find((c) => c.id === message[1]);
        if (call !== undefined && !call.settled) call.request.onProgress?.(message[2], message[3]);
        return;
      }
      case 'ready':
        slot.ready = true;
        return;
      case 'fatal': {
        const error = deserializeError(message[1]);
        if (message[2] === 'crash') {
          slot.cause ??= error;
          return;
        }
        // The initializer failed: the requests this worker holds fail with its error.
        for (const call of slot.held.splice(0)) this.#fail(call, error);
        this.#kill(slot);
        return;
      }
    }
  }

  #onDone(slot: Slot, results: unknown[]): void {
    const count = results.length / DONE_FIELDS;
    let busyMs = 0;
    for (let at = 0; at < results.length; at += DONE_FIELDS) {
      if (slot.held[0]?.id !== results[at]) {
        // A worker answers in order; if one ever does not, it is ended and what it held is
        // re-run or failed as after a crash, rather than settled with the wrong results.
        slot.cause ??= new Error(`taskmill: the worker answered request ${String(results[at])} out of order`);
        this.#kill(slot);
        return;
      }
      const call = slot.held.shift() as Call;
      slot.answered++;
      busyMs += results[at + 4] as number;
      if (call.timer !== undefined) {
        clearTimeout(call.timer);
        call.timer = undefined;
      }
      if (call.settled) continue;
      this.#settle(call);
      const how = results[at + 1];
      const payload = results[at + 2];
      if (how === DONE_ONE) call.resolve({ values: [payload], busyMs: results[at + 4] as number });
      else if (how === DONE_FAILED) call.reject(deserializeError(payload as SerializedError));
      else if (how === DONE_SKIPPED) call.reject(new TaskAbortedError(call.request.taskName));
      else {
        call.resolve(
          decodeResult(
            how === DONE_PACKED ? (payload as Float64Array) : (payload as unknown[]),
            results[at + 3] as [number, SerializedError][] | null,
            results[at + 4] as number,
          ),
        );
      }
    }
    // How long requests run in the worker (not how long they took to cross): the depth of
    // pipelining bounds the work queued behind a request, not the bytes in flight.
    const perRequest = busyMs / count;
    this.#serviceMs = this.#serviceMs === undefined ? perRequest : this.#serviceMs * 0.8 + perRequest * 0.2;
    if (slot.held.length === 0) this.#whenIdle(slot);
    if (this.#pending.length > 0) this.#schedule();
  }

  // ---- timeouts, cancellation, crashes -------------------------------------------------------

  #armTimeout(slot: Slot, call: Call): void {
    const timeout = call.request.timeout;
    if (timeout === undefined) return;
    call.timer = setTimeout(() => {
      call.timer = undefined;
      if (call.settled) return;
      const error = new TaskTimeoutError(call.request.taskName, timeout);
      this.#settle(call);
      call.reject(error);
      this.#stopInWorker(slot, call, error);
    }, timeout * itemCount(call.request));
  }

  /** Fires the task's signal in its worker; a task that has not stopped after the grace ends with its worker. */
  #stopInWorker(slot: Slot, call: Call, reason: Error): void {
    if (slot.exited) return;
    try {
      slot.handle.send(['abort', call.id, serializeError(reason)]);
    } catch {
      // The worker is going away; its exit settles the rest.
    }
    const check = (): void => {
      call.timer = undefined;
      const at = slot.held.indexOf(call);
      if (at < 0 || slot.exited) return;
      if (at === 0) {
        slot.cause ??= new Error(
          `task ${call.request.taskName} did not stop within ${CANCEL_GRACE_MS} ms of being cancelled or timing out, so its worker was ended`,
        );
        this.#kill(slot);
      } else {
        call.timer = setTimeout(check, CANCEL_GRACE_MS);
        call.timer.unref();
      }
    };
    if (call.timer !== undefined) clearTimeout(call.timer);
    call.timer = setTimeout(check, CANCEL_GRACE_MS);
    call.timer.unref();
  }

  #onExit(slot: Slot, exitCode: number | null, signal: string | null): void {
    if (slot.exited) return;
    slot.exited = true;
    this.#unlist(slot);
    this.#all.delete(slot);
    if (slot.idleTimer !== undefined) clearTimeout(slot.idleTimer);
    if (slot.closeTimer !== undefined) clearTimeout(slot.closeTimer);
    const held = slot.held.splice(0);
    for (const call of held) {
      if (call.timer !== undefined) clearTimeout(call.timer);
      call.timer = undefined;
    }
    const reported = slot.handle.startedCount();
    let started = reported !== undefined ? reported - slot.answered : slot.ready ? 1 : 0;
    started = Math.max(0, Math.min(held.length, started));
    const failed: Call[] = [];
    const rerun: Call[] = [];
    held.forEach((call, i) => {
      if (call.settled) return;
      if (i < started || call.moved || call.attempts >= MAX_ATTEMPTS || this.#ended) failed.push(call);
      else rerun.push(call);
    });
    if (failed.length > 0) {
      const error = new WorkerCrashedError(
        failed.map((call) => call.request.taskName),
        { exitCode, signal, cause: slot.cause, what: `${this.#factory.what} ${slot.handle.id}` },
      );
      for (const call of failed) this.#fail(call, error);
    }
    if (rerun.length > 0) {
      for (const call of rerun) call.worker = undefined;
      this.#pending = rerun.concat(this.#pending);
    }
    slot.markExited();
    if (this.#pending.length > 0) this.#schedule();
  }

  /** Graceful end of an idle worker (or a kill when it still holds abandoned requests). */
  #retire(slot: Slot): void {
    this.#unlist(slot);
    if (slot.exited || slot.closeTimer !== undefined) return;
    if (slot.held.length > 0) {
      this.#kill(slot);
      return;
    }
    slot.handle.close();
    slot.closeTimer = setTimeout(() => this.#kill(slot), CLOSE_GRACE_MS);
    slot.closeTimer.unref();
  }

  #kill(slot: Slot): void {
    this.#unlist(slot);
    if (slot.exited) return;
    slot.handle.kill();
  }

  #unlist(slot: Slot): void {
    if (!slot.live) return;
    slot.live = false;
    const at = this.#live.indexOf(slot);
    if (at >= 0) this.#live.splice(at, 1);
  }

  #settle(call: Call): void {
    call.settled = true;
    this.#calls.delete(call.request);
  }

  #fail(call: Call, error: unknown): void {
    if (call.timer !== undefined) clearTimeout(call.timer);
    call.timer = undefined;
    if (call.settled) return;
    this.#settle(call);
    call.reject(error);
  }
}

/** A Float64Array of single arguments when every one is a number, else undefined. */
function packSingles(args: readonly unknown[]): Float64Array | undefined {
  const out = new Float64Array(args.length);
  for (let i = 0; i < args.length; i++) {
    const value = args[i];
    if (typeof value !== 'number') return undefined;
    out[i] = value;
  }
  return out;
}

/** A Float64Array of the arguments when every item is exactly one number, else undefined. */
function packNumbers(items: readonly (readonly unknown[])[]): Float64Array | undefined {
  const out = new Float64Array(items.length);
  for (let i = 0; i < items.length; i++) {
    const args = items[i] as readonly unknown[];
    const value = args[0];
    if (args.length !== 1 || typeof value !== 'number') return undefined;
    out[i] = value;
  }
  return out;
}

function decodeResult(
  values: ArrayLike<unknown>,
  wireErrors: [number, SerializedError][] | null,
  busyMs: number,
): ExecResult {
  if (wireErrors === null || wireErrors.length === 0) return { values, busyMs };
  const errors = new Map<number, Error>();
  for (const [index, error] of wireErrors) errors.set(index, deserializeError(error));
  return { values, errors, busyMs };
}
