/**
 * The pool side of the threads and processes backends: it starts workers on demand, pipelines
 * several requests per worker, coalesces every request issued in one tick into one message per
 * worker, enforces timeouts, cancels, moves work off busy workers and survives workers that die.
 *
 * Each worker runs up to `tasksPerWorker` requests at once (more than one only while tasks
 * await) and holds a few more queued behind them, so it never waits for a message. How many are
 * sent ahead adapts to how long requests take: many tiny ones, one or two long ones.
 *
 * No request waits behind another while a worker that could run it is idle: a worker that has
 * not answered for a while is taken to be busy with a long task, gets no more work, and what it
 * holds queued is taken back and given to another. Threads take back through a claim table in
 * shared memory (the worker claims each request before starting it; the pool revokes one not
 * yet claimed), so even a worker spinning in a synchronous loop gives its queue up. A child
 * process is asked to give its queue back and does so as soon as its current task ends.
 *
 * When a worker dies, the requests it had not started are sent again to another worker, and the
 * ones it had started fail with WorkerCrashedError. Threads know exactly which started (the
 * claim table); a child process is taken to have started the oldest `tasksPerWorker` it held
 * once its initializer had finished.
 */
import { restoreBuffers } from '../../core/arguments.js';
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
import { type LongTimer, startTimer } from '../../core/long-timer.js';
import { isTaskRef, type TaskRef } from '../../core/task.js';
import { CLAIM_SLOTS, isClaimed, revoke, takenCount } from './claim-table.js';
import { ownCopy } from './own-copy.js';
import {
  DONE_FAILED,
  DONE_FIELDS,
  DONE_ONE,
  DONE_PACKED,
  DONE_SKIPPED,
  FLAG_BUFFERS,
  FLAG_ONE_ARG,
  FLAG_PACKED,
  FLAG_SINGLE,
  FLAG_TIMED,
  type TaskDefinition,
  type WireBufferPaths,
  type WorkerMessage,
  type WorkerSetup,
} from './protocol.js';
import type { WorkerFactory, WorkerHandle } from './worker-handle.js';

/** Most requests sent ahead to one worker, beyond those it runs at once. */
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
/**
 * A call copying at least this many bytes of binary data to its worker is not taken back from a
 * busy worker once sent (the copy is done; sending it again would copy it again).
 */
export const HEAVY_BYTES = 64 * 1024;
/**
 * Copied bytes sent ahead to one worker beyond what it runs: more waits in the pool, where any
 * worker that frees up can take it without a copy wasted.
 */
const AHEAD_BYTES = 4 * 1024 * 1024;
/** Largest batch the pool should send in one request. */
const MAX_BATCH = 16_384;
/** A worker silent this long (at least) while it holds work is taken to be busy with a long task. */
const STUCK_MIN_MS = 2;
/** Claim-table slots kept free, so a slot is never reused while its worker may still read it. */
const CLAIM_MARGIN = 64;

interface Call {
  readonly id: number;
  readonly request: ExecRequest;
  readonly resolve: (result: ExecResult) => void;
  readonly reject: (error: unknown) => void;
  settled: boolean;
  attempts: number;
  /** Its buffers were moved to a worker: it cannot be sent again. */
  moved: boolean;
  /** Bytes of binary data copied to its worker (0 when moved or none). */
  copied: number;
  worker: Slot | undefined;
  timer: LongTimer | undefined;
  /** Position in its worker's stream of requests (the claim table's index). */
  seq: number;
  /** A `revoke` for it is on its way to its (child process) worker. */
  revoking: boolean;
  /** It has started in its worker (known from a 'started' message). */
  started: boolean;
}

class Slot {
  readonly handle: WorkerHandle;
  /** Requests sent and not answered yet, in the order sent. */
  readonly held: Call[] = [];
  ready = false;
  live = true;
  exited = false;
  refd = false;
  idleTimer: LongTimer | undefined;
  closeTimer: NodeJS.Timeout | undefined;
  initTimer: LongTimer | undefined;
  cause: Error | undefined;
  /** Requests to send, flat (see protocol.ts), and the task definitions they need. */
  outbox: unknown[] = [];
  outCount = 0;
  /** Bytes of the buffers (moved, or copied) in the outbox. */
  outBytes = 0;
  /** Of those, bytes that are copied (not moved). */
  outCopied = 0;
  /** Bytes copied to this worker by the requests it holds. */
  heldCopied = 0;
  outDefinitions: TaskDefinition[] | null = null;
  outTransfer: ArrayBuffer[] | undefined;
  /** [request id, traceparent, ...] of traced requests in the outbox (tracing on only). */
  outTraces: unknown[] | undefined;
  /** Task numbers this worker has been told about. */
  readonly known = new Set<number>();
  /** Requests sent to it so far: the next one's sequence number. */
  sent = 0;
  /** When it last answered, or last got work while idle (performance.now()). */
  heardAt = 0;
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
  readonly packsNumbers = true;
  readonly #factory: WorkerFactory;
  readonly #setup: WorkerSetup;
  readonly #idleTimeout: number;
  readonly #initTimeout: number | undefined;
  readonly #initName: string;
  /** Requests a worker runs at once (more than one only while tasks await). */
  readonly #limit: number;
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
  #rebalanceTimer: NodeJS.Timeout | undefined;
  readonly #flushNow = () => this.#flush();
  readonly #rebalanceNow = () => {
    this.#rebalanceTimer = undefined;
    this.#rebalance();
  };

  constructor(name: BackendName, factory: WorkerFactory, options: BackendOptions) {
    this.name = name;
    this.#factory = factory;
    this.parallelism = options.workers;
    this.#limit = Math.max(1, options.tasksPerWorker ?? 1);
    this.slots = options.workers * (this.#limit + MAX_DEPTH);
    this.#idleTimeout = options.idleTimeout;
    this.#initTimeout = options.initializerTimeout;
    const init = options.initializer;
    if (init !== undefined && !isTaskRef(init)) {
      throw new InvalidArgumentError(
        `the ${name} backend needs the initializer as a task reference (t.setup from tasks(new URL('./tasks.js', import.meta.url))), not a function`,
      );
    }
    this.#initName = init === undefined ? '' : init.id;
    this.#setup = {
      initializer: init === undefined ? null : { module: init.module, name: init.name },
      initializerArgs: options.initializerArgs,
      tasksPerWorker: this.#limit,
      noteBuffers: factory.canTransfer,
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
        copied: 0,
        worker: undefined,
        timer: undefined,
        seq: -1,
        revoking: false,
        started: false,
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
    this.#stopRebalancing();
    for (const slot of [...this.#all]) {
      // Whoever awaits close() waits for the workers to be gone: keep the process alive until then.
      slot.handle.ref();
      this.#retire(slot);
    }
    await Promise.all([...this.#all].map((slot) => slot.whenExited));
  }

  async terminate(reason: Error): Promise<void> {
    this.#ended = true;
    this.#stopRebalancing();
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
    const capacity = this.#limit + this.#depth();
    const now = performance.now();
    const stuckMs = this.#stuckMs();
    while (taken < pending.length) {
      let slot: Slot | undefined;
      try {
        slot = this.#pick(capacity, now, stuckMs);
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
    this.#watchBalance();
  }

  /** Sends what was assigned to a worker since its last message, as one message. */
  #send(slot: Slot): void {
    const calls = slot.outbox;
    const definitions = slot.outDefinitions;
    const transfer = slot.outTransfer;
    const count = slot.outCount;
    slot.outCount = 0;
    slot.outBytes = 0;
    slot.outCopied = 0;
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
      // time, so this is rare); the worker never saw them, so its stream of requests is rewound.
      if (definitions !== null) for (const definition of definitions) slot.known.delete(definition[0]);
      slot.sent -= count;
      for (const call of slot.held.splice(slot.held.length - count, count)) {
        this.#release(slot, call);
        this.#fail(call, error);
      }
      this.#whenIdle(slot);
    }
  }

  /** Requests sent ahead to a worker beyond those it runs, from how long requests take. */
  #depth(): number {
    const ms = this.#serviceMs;
    if (ms === undefined) return MAX_DEPTH;
    return Math.max(1, Math.min(MAX_DEPTH, Math.floor(QUEUED_WORK_MS / Math.max(ms, 1e-6))));
  }

  #stuckMs(): number {
    return Math.max(STUCK_MIN_MS, 3 * (this.#serviceMs ?? 0));
  }

  /** A worker holding work that has not been heard from for a while: busy with a long task. */
  #isStuck(slot: Slot, now: number, stuckMs: number): boolean {
    return slot.held.length > 0 && now - slot.heardAt > stuckMs;
  }

  /**
   * The least busy worker with room (one that seems stuck in a long task only when no other
   * has room), or a new one while fewer than `workers` run and none is idle.
   */
  #pick(capacity: number, now: number, stuckMs: number): Slot | undefined {
    let best: Slot | undefined;
    let bestStuck = false;
    for (const slot of this.#live) {
      const load = slot.held.length;
      if (load >= capacity || slot.heldCopied >= AHEAD_BYTES || !this.#hasClaimRoom(slot)) continue;
      const stuck = this.#isStuck(slot, now, stuckMs);
      if (best === undefined || (bestStuck && !stuck) || (bestStuck === stuck && load < best.held.length)) {
        best = slot;
        bestStuck = stuck;
      }
    }
    if ((best === undefined || best.held.length > 0) && this.#live.length < this.parallelism) {
      return this.#spawn();
    }
    if (bestStuck && best !== undefined && best.held.length >= this.#limit) return undefined;
    return best;
  }

  /** Whether the worker's claim table has a free slot (threads; processes have none). */
  #hasClaimRoom(slot: Slot): boolean {
    const claims = slot.handle.claims;
    return claims === undefined || slot.sent - takenCount(claims) < CLAIM_SLOTS - CLAIM_MARGIN;
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
    if (this.#initTimeout !== undefined && this.#setup.initializer !== null) {
      const timeout = this.#initTimeout;
      slot.initTimer = startTimer(() => {
        slot.initTimer = undefined;
        if (slot.ready || slot.exited) return;
        const error = new TaskTimeoutError(
          this.#initName,
          timeout,
          `the initializer ${this.#initName} did not finish within ${timeout} ms, so its worker was ended`,
        );
        for (const call of slot.held.splice(0)) this.#fail(call, error);
        this.#kill(slot);
      }, timeout);
    }
    return slot;
  }

  #assign(slot: Slot, call: Call): void {
    const request = call.request;
    const task = request.task as TaskRef;
    call.worker = slot;
    call.attempts++;
    call.seq = slot.sent++;
    call.started = false;
    if (slot.held.length === 0) {
      this.#busy(slot);
      slot.heardAt = performance.now();
    }
    slot.held.push(call);
    // A call that has a timeout but whose worker is still starting: the time its initializer
    // takes counts too, so an initializer that never finishes cannot hold the call for ever.
    if (!slot.ready && request.timeout !== undefined && call.timer === undefined) {
      this.#armTimeout(slot, call, true);
    }
    let flags = request.timeout !== undefined ? FLAG_TIMED : 0;
    const given = request.packed;
    const singles = given === undefined ? request.singleArgs : undefined;
    const count =
      given !== undefined ? given.length : singles !== undefined ? singles.length : request.items.length;
    let items: unknown = given ?? singles ?? request.items;
    if (given !== undefined && count > 1) {
      // Packed by the pool (map-run.ts): sent as it is, copied by the clone rather than moved,
      // so that the request can still be sent again if its worker gives it back.
      flags |= FLAG_PACKED;
    } else if (count === 1) {
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
    const buffers = this.#factory.canTransfer ? request.buffers : undefined;
    if (buffers !== undefined && buffers.length > 0) flags |= FLAG_BUFFERS;
    call.copied = 0;
    if (request.transfer !== undefined) {
      if (this.#factory.canTransfer) {
        call.moved = true;
        const list = (slot.outTransfer ??= []);
        for (const buffer of request.transfer) if (!list.includes(buffer)) list.push(buffer);
      }
      for (const buffer of request.transfer) slot.outBytes += buffer.byteLength;
    }
    // A big copy to a thread is made here, by one memcpy, and the copy is moved (own-copy.ts):
    // the worker gets its own buffer, as from a structured clone, without the bytes being
    // serialized on this thread and deserialized again on the other.
    let copies: Map<ArrayBuffer, ArrayBuffer> | undefined;
    if (request.copyBytes !== undefined && !call.moved) {
      call.copied = request.copyBytes;
      slot.heldCopied += call.copied;
      if (this.#factory.canTransfer && call.copied >= HEAVY_BYTES) copies = new Map();
      else {
        slot.outCopied += call.copied;
        if (request.transfer === undefined) slot.outBytes += call.copied;
      }
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
      if (copies === undefined) for (let i = 0; i < args.length; i++) outbox.push(args[i]);
      else for (let i = 0; i < args.length; i++) outbox.push(ownCopy(args[i], copies));
    } else if (copies === undefined || (flags & FLAG_PACKED) !== 0) {
      outbox.push(items);
    } else {
      const list = copies;
      outbox.push(
        (flags & FLAG_ONE_ARG) !== 0
          ? (items as readonly unknown[]).map((arg) => ownCopy(arg, list))
          : (items as readonly (readonly unknown[])[]).map((args) => args.map((arg) => ownCopy(arg, list))),
      );
    }
    if (copies !== undefined && copies.size > 0) {
      const list = (slot.outTransfer ??= []);
      for (const copy of copies.values()) list.push(copy);
    }
    if ((flags & FLAG_BUFFERS) !== 0) outbox.push(buffers);
    // Copied (not moved) big payloads leave at once, a message per few MiB, so the worker
    // starts on the first while the next is still being copied.
    if (slot.outBytes >= MESSAGE_BYTES && (!this.#factory.canTransfer || slot.outCopied >= MESSAGE_BYTES))
      this.#send(slot);
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
      slot.idleTimer.clear();
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
      slot.idleTimer = startTimer(() => {
        slot.idleTimer = undefined;
        if (slot.held.length === 0) this.#retire(slot);
      }, this.#idleTimeout);
    }
  }

  // ---- moving work off busy workers ----------------------------------------------------------

  /**
   * Arms a check when some worker holds requests queued behind the ones it runs while another
   * could take them (an idle worker, or room for a new one). The check (#rebalance) moves them
   * if the busy worker is still busy by then.
   */
  #watchBalance(): void {
    if (this.#rebalanceTimer !== undefined || this.#ended) return;
    let queuedBehind = false;
    let room = this.#live.length < this.parallelism;
    for (const slot of this.#live) {
      if (slot.held.length > this.#limit) queuedBehind = true;
      if (slot.held.length === 0) room = true;
    }
    if (!queuedBehind || !room) return;
    this.#rebalanceTimer = setTimeout(this.#rebalanceNow, this.#stuckMs());
    this.#rebalanceTimer.unref();
  }

  #stopRebalancing(): void {
    if (this.#rebalanceTimer !== undefined) clearTimeout(this.#rebalanceTimer);
    this.#rebalanceTimer = undefined;
  }

  /** Takes back the queued requests of workers busy with a long task, for the others to run. */
  #rebalance(): void {
    if (this.#ended) return;
    const now = performance.now();
    const stuckMs = this.#stuckMs();
    let moved = false;
    for (const slot of this.#live) {
      if (slot.held.length <= this.#limit || !this.#isStuck(slot, now, stuckMs)) continue;
      const claims = slot.handle.claims;
      if (claims !== undefined) {
        // Newest first: the worker claims in order, so once one is claimed the older are too.
        const taken: Call[] = [];
        for (let at = slot.held.length - 1; at >= 0; at--) {
          const call = slot.held[at] as Call;
          // A call whose buffers were moved has them in that worker now, and one whose big
          // payload was copied there would be copied again: they stay there.
          if (call.moved || call.copied >= HEAVY_BYTES) continue;
          if (!revoke(claims, call.seq)) break;
          slot.held.splice(at, 1);
          this.#release(slot, call);
          taken.unshift(call);
        }
        if (taken.length > 0) {
          this.#takeBack(taken);
          moved = true;
        }
      } else {
        const requests: [number, number][] = [];
        for (let at = this.#limit; at < slot.held.length; at++) {
          const call = slot.held[at] as Call;
          if (call.revoking || call.started || call.moved || call.copied >= HEAVY_BYTES) continue;
          call.revoking = true;
          requests.push([call.id, call.seq]);
        }
        if (requests.length > 0) {
          try {
            slot.handle.send(['revoke', requests]);
          } catch {
            // The worker is going away; its exit re-runs what it had not started.
          }
        }
      }
    }
    if (moved) this.#flush();
    else this.#watchBalance();
  }

  /** Requests a worker gave up before starting them: first in line to be sent again. */
  #takeBack(calls: Call[]): void {
    const back: Call[] = [];
    for (const call of calls) {
      call.revoking = false;
      call.worker = undefined;
      if (call.timer !== undefined) {
        call.timer.clear();
        call.timer = undefined;
      }
      if (!call.settled) back.push(call);
    }
    if (back.length > 0) this.#pending = back.concat(this.#pending);
  }

  // ---- messages from workers -----------------------------------------------------------------

  #onMessage(slot: Slot, message: WorkerMessage): void {
    if (slot.exited) return;
    // A child's steward answers `revoke` while its main thread may be stuck: that is no sign of life.
    if (message[0] !== 'revoked') slot.heardAt = performance.now();
    switch (message[0]) {
      case 'done':
        this.#onDone(slot, message[1]);
        return;
      case 'started': {
        const call = slot.held.find((c) => c.id === message[1]);
        if (call !== undefined && !call.settled) {
          call.started = true;
          this.#armTimeout(slot, call, false);
        }
        return;
      }
      case 'progress': {
        const call = slot.held.find((c) => c.id === message[1]);
        if (call !== undefined && !call.settled) call.request.onProgress?.(message[2], message[3]);
        return;
      }
      case 'revoked': {
        const ids = new Set(message[1]);
        const taken: Call[] = [];
        for (let at = slot.held.length - 1; at >= 0; at--) {
          const call = slot.held[at] as Call;
          if (ids.has(call.id)) {
            slot.held.splice(at, 1);
            this.#release(slot, call);
            taken.unshift(call);
          } else call.revoking = false;
        }
        this.#takeBack(taken);
        if (slot.held.length === 0) this.#whenIdle(slot);
        if (this.#pending.length > 0) this.#schedule();
        return;
      }
      case 'ready':
        slot.ready = true;
        if (slot.initTimer !== undefined) {
          slot.initTimer.clear();
          slot.initTimer = undefined;
        }
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
      const id = results[at];
      // Answers come in the order sent, unless the worker runs several requests at once.
      let index = 0;
      if (slot.held[0]?.id !== id) {
        index = slot.held.findIndex((c) => c.id === id);
        if (index < 0) continue;
      }
      const call = slot.held[index] as Call;
      if (index === 0) slot.held.shift();
      else slot.held.splice(index, 1);
      if (call.copied !== 0) this.#release(slot, call);
      const ms = results[at + 4] as number;
      busyMs += ms;
      if (call.timer !== undefined) {
        call.timer.clear();
        call.timer = undefined;
      }
      if (call.settled) continue;
      this.#settle(call);
      const how = results[at + 1];
      const payload = results[at + 2];
      const buffers = results[at + 5] as WireBufferPaths | null;
      if (how === DONE_ONE) {
        const box = [payload];
        if (buffers !== null) restoreBuffers(box, buffers);
        call.resolve({ values: box, busyMs: ms });
      } else if (how === DONE_FAILED) call.reject(deserializeError(payload as SerializedError));
      else if (how === DONE_SKIPPED) call.reject(new TaskAbortedError(call.request.taskName));
      else {
        if (buffers !== null) restoreBuffers(payload, buffers);
        call.resolve(
          decodeResult(
            how === DONE_PACKED ? (payload as Float64Array) : (payload as unknown[]),
            results[at + 3] as [number, SerializedError][] | null,
            ms,
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
    else this.#watchBalance();
  }

  // ---- timeouts, cancellation, crashes -------------------------------------------------------

  /**
   * Arms the call's deadline: from its start (`started` message), or from its assignment when
   * its worker is still starting (`beforeStart`: it then fails without ever having run).
   */
  #armTimeout(slot: Slot, call: Call, beforeStart: boolean): void {
    const timeout = call.request.timeout;
    if (timeout === undefined) return;
    if (call.timer !== undefined) call.timer.clear();
    call.timer = startTimer(() => {
      call.timer = undefined;
      if (call.settled) return;
      const error = beforeStart
        ? new TaskTimeoutError(
            call.request.taskName,
            timeout,
            `task ${call.request.taskName} did not start within ${timeout} ms: its worker's initializer had not finished`,
          )
        : new TaskTimeoutError(call.request.taskName, timeout);
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
      if (this.#hasStarted(slot, call, at)) {
        slot.cause ??= new Error(
          `task ${call.request.taskName} did not stop within ${CANCEL_GRACE_MS} ms of being cancelled or timing out, so its worker was ended`,
        );
        this.#kill(slot);
      } else {
        call.timer = startTimer(check, CANCEL_GRACE_MS);
      }
    };
    if (call.timer !== undefined) call.timer.clear();
    call.timer = startTimer(check, CANCEL_GRACE_MS);
  }

  /** Whether a held call has started in its worker (exactly on threads; by position on processes). */
  #hasStarted(slot: Slot, call: Call, at: number): boolean {
    const claims = slot.handle.claims;
    if (claims !== undefined) return isClaimed(claims, call.seq);
    return call.started || (slot.ready && at < this.#limit);
  }

  #onExit(slot: Slot, exitCode: number | null, signal: string | null): void {
    if (slot.exited) return;
    slot.exited = true;
    this.#unlist(slot);
    this.#all.delete(slot);
    slot.idleTimer?.clear();
    slot.initTimer?.clear();
    if (slot.closeTimer !== undefined) clearTimeout(slot.closeTimer);
    const held = slot.held.splice(0);
    const failed: Call[] = [];
    const rerun: Call[] = [];
    held.forEach((call, i) => {
      call.timer?.clear();
      call.timer = undefined;
      if (call.settled) return;
      const started = this.#hasStarted(slot, call, i);
      if (started || call.moved || call.attempts >= MAX_ATTEMPTS || this.#ended) failed.push(call);
      else rerun.push(call);
    });
    if (failed.length > 0) {
      const error = new WorkerCrashedError(
        failed.map((call) => call.request.taskName),
        { exitCode, signal, cause: slot.cause, what: `${this.#factory.what} ${slot.handle.id}` },
      );
      for (const call of failed) this.#fail(call, error);
    }
    if (rerun.length > 0) this.#takeBack(rerun);
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

  /** A call has left the worker's hands: its copied bytes no longer count against the worker. */
  #release(slot: Slot, call: Call): void {
    slot.heldCopied -= call.copied;
    call.copied = 0;
  }

  #settle(call: Call): void {
    call.settled = true;
    this.#calls.delete(call.request);
  }

  #fail(call: Call, error: unknown): void {
    call.timer?.clear();
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
