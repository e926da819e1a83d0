/**
 * One run of a flow: nodes start as soon as every node they need has finished (on Redis, nodes
 * of the same task that become ready together go out as one chunked job; elsewhere each is a
 * call of its own), each node's outcome is recorded in the flow's store, a failing node is
 * retried with its own options and, once out of attempts, fails the flow (FlowNodeError) and
 * stops the rest.
 * Cancelling withdraws every request: queued ones are dropped, running ones stopped through
 * the task's AbortSignal.
 */
import type { Backend } from '../core/backend.js';
import { PoolClosedError, TaskAbortedError } from '../core/errors.js';
import type { TaskRef } from '../core/task.js';
import type { ProgressUpdate } from '../core/task-context.js';
import type { Epoch } from '../pool/call-ledger.js';
import { backoffDelay } from './backoff.js';
import { FlowCancelledError, FlowNodeError } from './errors.js';
import { type FlowGraph, nodeArgs, resolveInput } from './graph.js';
import type { FlowHost } from './host.js';
import { NodeEntry, type NodeSink } from './node-entry.js';
import type { FlowStore, JobRecord } from './store.js';

export type NodeState = 'waiting' | 'queued' | 'running' | 'fulfilled' | 'rejected' | 'cancelled';

/** A node's state changed. `error` is set on a failed attempt (state `waiting` when it will be retried). */
export interface NodeEvent {
  readonly node: number;
  readonly path: string;
  readonly task: string;
  readonly state: NodeState;
  /** Runs started so far, counting the first. */
  readonly attempts: number;
  readonly value?: unknown;
  readonly error?: unknown;
}

/** A node's task reported progress (`reportProgress()`). */
export interface NodeProgress extends ProgressUpdate {
  readonly node: number;
  readonly path: string;
  readonly task: string;
}

export interface RunListener {
  /** Whether anyone listens to node events (none are made otherwise). */
  watching(): boolean;
  node(event: NodeEvent): void;
  progress(event: NodeProgress): void;
  settled(value: unknown, error: Error | undefined): void;
}

/** What a resumed run finds in its store. */
export interface Resume {
  readonly results: ReadonlyMap<number, unknown>;
  readonly jobs: readonly JobRecord[];
}

export interface RunOptions {
  /** Nodes per request; default on Redis: as many as spread the ready nodes over the workers; else 1. */
  readonly chunkSize?: number;
}

export class FlowRun implements NodeSink {
  readonly id: string;
  readonly graph: FlowGraph;
  readonly states: NodeState[];
  readonly attempts: number[];
  readonly #host: FlowHost;
  readonly #backend: Backend;
  readonly #refs: readonly TaskRef[];
  readonly #store: FlowStore;
  readonly #listener: RunListener;
  readonly #chunkSize: number | undefined;
  readonly #results: unknown[];
  readonly #remaining: Int32Array;
  readonly #dependents: number[][];
  readonly #inflight = new Set<NodeEntry>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #epoch: Epoch;
  #ready: number[] = [];
  #flushQueued = false;
  #fulfilled = 0;
  #settled = false;

  constructor(
    host: FlowHost,
    backend: Backend,
    id: string,
    graph: FlowGraph,
    refs: readonly TaskRef[],
    store: FlowStore,
    listener: RunListener,
    options: RunOptions,
    epoch: Epoch,
  ) {
    this.#host = host;
    this.#backend = backend;
    this.id = id;
    this.graph = graph;
    this.#refs = refs;
    this.#store = store;
    this.#listener = listener;
    this.#chunkSize = options.chunkSize;
    this.#epoch = epoch;
    const count = graph.nodes.length;
    this.states = new Array<NodeState>(count).fill('waiting');
    this.attempts = new Array<number>(count).fill(0);
    this.#results = new Array<unknown>(count);
    this.#remaining = new Int32Array(count);
    this.#dependents = Array.from({ length: count }, () => []);
    for (const node of graph.nodes) {
      this.#remaining[node.index] = node.deps.length;
      for (const dep of node.deps) this.#dependents[dep]?.push(node.index);
    }
  }

  get settled(): boolean {
    return this.#settled;
  }

  /** Starts the nodes that need nothing (or, resumed, whatever was in flight or is now ready). */
  start(resume?: Resume): void {
    const count = this.graph.nodes.length;
    if (resume !== undefined) {
      for (const [node, value] of resume.results) {
        if (node < 0 || node >= count || this.states[node] === 'fulfilled') continue;
        this.states[node] = 'fulfilled';
        this.#results[node] = value;
        this.#fulfilled++;
        for (const dependent of this.#dependents[node] ?? [])
          this.#remaining[dependent] = (this.#remaining[dependent] ?? 0) - 1;
      }
    }
    if (this.#fulfilled === count) {
      void this.#finishFulfilled();
      return;
    }
    // Jobs already on the queue for nodes that have not finished: follow them (same job ids).
    const latest = new Map<number, JobRecord>();
    for (const record of resume?.jobs ?? []) {
      for (const node of record.nodes) {
        this.attempts[node] = Math.max(this.attempts[node] ?? 0, record.attempt);
        const known = latest.get(node);
        if (known === undefined || known.attempt < record.attempt) latest.set(node, record);
      }
    }
    const again = new Set<JobRecord>();
    for (let node = 0; node < count; node++) {
      if (this.states[node] === 'fulfilled' || this.#remaining[node] !== 0) continue;
      const record = latest.get(node);
      if (record?.nodes.every((n) => this.#remaining[n] === 0)) again.add(record);
      else this.#ready.push(node);
    }
    const entries: NodeEntry[] = [];
    for (const record of again) {
      // The job carries all its nodes (its items must be the same), but answers only for those
      // it is the latest job of and that have not finished.
      const skip = new Set(
        record.nodes.filter((n) => latest.get(n) !== record || this.states[n] === 'fulfilled'),
      );
      if (skip.size === record.nodes.length) continue;
      const entry = this.#entry(record.nodes, record.attempt, record.jobId, skip);
      if (entry === undefined) continue;
      entry.jobMayExist = true;
      if (skip.size > 0) entry.skip = skip;
      entries.push(entry);
    }
    for (const entry of entries) this.#enqueue(entry);
    this.#flush();
  }

  /** A finished flow read back from its store: node states as they ended, nothing runs. */
  showFinished(
    results: ReadonlyMap<number, unknown>,
    failedNode: number | undefined,
    jobs: readonly JobRecord[],
  ): void {
    this.#settled = true;
    for (const record of jobs)
      for (const node of record.nodes)
        this.attempts[node] = Math.max(this.attempts[node] ?? 0, record.attempt);
    for (const [node] of results) if (node >= 0 && node < this.states.length) this.states[node] = 'fulfilled';
    this.states.forEach((state, node) => {
      if (state !== 'fulfilled') this.states[node] = node === failedNode ? 'rejected' : 'cancelled';
    });
  }

  cancel(reason: unknown): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    this.#stopAll(reason);
    const error = new FlowCancelledError(this.id, reason);
    void this.#store
      .finish({ state: 'cancelled', reason })
      .catch(() => {})
      .then(() => this.#settle(undefined, error));
    return true;
  }

  // ---- NodeSink ------------------------------------------------------------------------------

  started(nodes: readonly number[]): void {
    for (const node of nodes) if (this.states[node] === 'queued') this.#setState(node, 'running');
  }

  nodeDone(node: number, value: unknown): void {
    if (this.#settled || this.states[node] === 'fulfilled') return;
    this.#results[node] = value;
    this.#fulfilled++;
    this.#store.recordResult(node, value);
    this.#setState(node, 'fulfilled', value);
    for (const dependent of this.#dependents[node] ?? []) {
      const left = (this.#remaining[dependent] ?? 0) - 1;
      this.#remaining[dependent] = left;
      if (left === 0) this.#ready.push(dependent);
    }
    if (this.#fulfilled === this.graph.nodes.length) void this.#finishFulfilled();
    else this.#scheduleFlush();
  }

  nodeFailed(node: number, error: unknown): void {
    // Only the attempt in flight counts (not a stray report for a node waiting to retry).
    const state = this.states[node];
    if (this.#settled || (state !== 'queued' && state !== 'running')) return;
    if (isPoolEnding(error)) {
      this.cancel(error);
      return;
    }
    const def = this.graph.nodes[node];
    if (def === undefined) return;
    const attempts = this.attempts[node] ?? 1;
    if (attempts < (def.options.attempts ?? 1)) {
      this.#setState(node, 'waiting', undefined, error);
      const timer = setTimeout(
        () => {
          this.#timers.delete(timer);
          if (this.#settled) return;
          this.#ready.push(node);
          this.#flush();
        },
        backoffDelay(def.options.backoff, attempts),
      );
      this.#timers.add(timer);
      return;
    }
    this.#setState(node, 'rejected', undefined, error);
    this.#settled = true;
    const failure = new FlowNodeError(this.id, node, def.path, def.task, attempts, error);
    this.#stopAll(failure);
    void this.#store
      .finish({ state: 'rejected', node, attempts, cause: error })
      .catch(() => {})
      .then(() => this.#settle(undefined, failure));
  }

  progress(node: number, update: ProgressUpdate): void {
    const def = this.graph.nodes[node];
    if (def === undefined || this.#settled) return;
    this.#listener.progress({ ...update, node, path: def.path, task: def.task });
  }

  finished(entry: NodeEntry): void {
    this.#inflight.delete(entry);
  }

  // ---- internals -----------------------------------------------------------------------------

  #setState(node: number, state: NodeState, value?: unknown, error?: unknown): void {
    this.states[node] = state;
    if (!this.#listener.watching()) return;
    const def = this.graph.nodes[node];
    if (def === undefined) return;
    this.#listener.node({
      node,
      path: def.path,
      task: def.task,
      state,
      attempts: this.attempts[node] ?? 0,
      ...(state === 'fulfilled' ? { value } : {}),
      ...(error !== undefined ? { error } : {}),
    });
  }

  async #finishFulfilled(): Promise<void> {
    if (this.#settled) return;
    this.#settled = true;
    const value = resolveInput(this.graph.output, this.#results);
    await this.#store.finish({ state: 'fulfilled', value }).catch(() => {});
    this.#settle(value, undefined);
  }

  #settle(value: unknown, error: Error | undefined): void {
    this.#host.leave(this.#epoch);
    this.#listener.settled(value, error);
  }

  /** Withdraws every request in flight and marks every unfinished node cancelled. */
  #stopAll(reason: unknown): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#ready = [];
    for (const entry of [...this.#inflight]) {
      this.#host.withdraw(entry, new TaskAbortedError(entry.taskName, reason));
    }
    this.#inflight.clear();
    this.states.forEach((state, node) => {
      if (state === 'waiting' || state === 'queued' || state === 'running') this.#setState(node, 'cancelled');
    });
  }

  #scheduleFlush(): void {
    if (this.#flushQueued || this.#ready.length === 0) return;
    this.#flushQueued = true;
    queueMicrotask(() => this.#flush());
  }

  /** Sends the ready nodes: those of one task (and attempt) together, cut into chunks. */
  #flush(): void {
    this.#flushQueued = false;
    if (this.#settled || this.#ready.length === 0) return;
    const ready = this.#ready;
    this.#ready = [];
    const groups = new Map<string, number[]>();
    for (const node of ready) {
      if (this.states[node] !== 'waiting') continue;
      const def = this.graph.nodes[node];
      if (def === undefined) continue;
      const key = `${def.task}\u0000${def.options.timeout ?? ''}\u0000${this.attempts[node]}`;
      const list = groups.get(key);
      if (list === undefined) groups.set(key, [node]);
      else list.push(node);
    }
    const entries: NodeEntry[] = [];
    const records: JobRecord[] = [];
    for (const nodes of groups.values()) {
      nodes.sort((a, b) => a - b);
      const size = this.#sizeFor(nodes.length);
      const attempt = (this.attempts[nodes[0] as number] ?? 0) + 1;
      for (let i = 0; i < nodes.length; i += size) {
        const chunk = nodes.slice(i, i + size);
        const jobId = this.#store.namesJobs ? `${this.id}.n${chunk[0]}.a${attempt}` : undefined;
        const entry = this.#entry(chunk, attempt, jobId);
        if (entry === undefined) continue;
        entries.push(entry);
        if (jobId !== undefined) records.push({ jobId, nodes: chunk, attempt });
      }
    }
    const written = records.length > 0 ? this.#store.recordJobs(records) : undefined;
    if (written === undefined) {
      for (const entry of entries) this.#enqueue(entry);
      return;
    }
    written.then(
      () => {
        if (this.#settled) return;
        for (const entry of entries) this.#enqueue(entry);
      },
      (error: unknown) => {
        for (const entry of entries) entry.fail(error);
      },
    );
  }

  #sizeFor(count: number): number {
    const max = Math.min(this.#backend.maxBatch, 1000);
    if (this.#chunkSize !== undefined) return Math.max(1, Math.min(this.#chunkSize, max));
    // Locally a request per node costs little (threads run ~90k single calls a second), and a
    // cancelled node then never starts; on Redis a job per node is what chunks save.
    if (max <= 1 || this.#backend.name !== 'redis') return 1;
    return Math.max(1, Math.min(max, Math.ceil(count / (this.#backend.parallelism * 2))));
  }

  /** The request for `nodes` (all of one task); undefined when their arguments cannot be sent (they fail). */
  #entry(
    nodes: readonly number[],
    attempt: number,
    jobId: string | undefined,
    skip?: ReadonlySet<number>,
  ): NodeEntry | undefined {
    const first = this.graph.nodes[nodes[0] as number];
    const ref = this.#refs[nodes[0] as number];
    if (first === undefined || ref === undefined) return undefined;
    const items = nodes.map((node) => nodeArgs(this.graph.nodes[node] ?? first, this.#results));
    for (const node of nodes) {
      if (skip?.has(node)) continue;
      this.attempts[node] = attempt;
      if (this.states[node] === 'waiting') this.#setState(node, 'queued');
    }
    let carried: ReturnType<FlowHost['prepareBatch']>;
    try {
      carried = this.#host.prepareBatch(ref, items, 0);
    } catch (error) {
      // Arguments that cannot cross to a worker: no attempt would do better.
      for (const node of nodes) {
        const def = this.graph.nodes[node];
        if (def !== undefined) this.attempts[node] = def.options.attempts ?? 1;
      }
      queueMicrotask(() => {
        for (const node of nodes) this.nodeFailed(node, error);
      });
      return undefined;
    }
    const timeout = first.options.timeout ?? this.#host.defaultTimeout;
    return new NodeEntry(ref, nodes, items, carried, timeout, jobId, attempt, this);
  }

  #enqueue(entry: NodeEntry): void {
    this.#inflight.add(entry);
    this.#host.enqueue(entry);
  }
}

/** The pool is going away (terminated): the flow is cancelled, not failed by a node. */
function isPoolEnding(error: unknown): boolean {
  if (error instanceof PoolClosedError) return true;
  return error instanceof TaskAbortedError && error.cause instanceof PoolClosedError;
}
