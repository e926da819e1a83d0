/**
 * What `pool.submitFlow()` and `pool.flow(id)` return: the flow's id, each node's state, its
 * events (`node` as a node changes state, `progress` as its task reports progress), cancel(),
 * and the result (`await handle`, or `handle.result()`).
 */
import { EventEmitter } from 'node:events';
import type { FlowRun, NodeEvent, NodeProgress, NodeState, RunListener } from './flow-run.js';

export type FlowState = 'running' | 'fulfilled' | 'rejected' | 'cancelled';

export interface FlowNode {
  readonly node: number;
  readonly task: string;
  /** Where it sits: `chain[0] > group[3] > tasks#resize`. */
  readonly path: string;
  readonly state: NodeState;
  readonly attempts: number;
}

export interface FlowEvents {
  node: [event: NodeEvent];
  progress: [event: NodeProgress];
}

export class FlowHandle<Result = unknown> extends EventEmitter<FlowEvents> implements PromiseLike<Result> {
  readonly id: string;
  #state: FlowState = 'running';
  #run: FlowRun | undefined;
  #cancelReason: { reason: unknown } | undefined;
  readonly #promise: Promise<Result>;
  #resolve!: (value: Result) => void;
  #reject!: (error: unknown) => void;

  /** @internal Made by the pool. */
  constructor(id: string) {
    super();
    this.id = id;
    this.#promise = new Promise<Result>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // A flow nobody awaits must not crash the process with an unhandled rejection.
    this.#promise.catch(() => {});
  }

  get state(): FlowState {
    return this.#state;
  }

  /** Every node and its state, in node order (empty until the flow has started). */
  get nodes(): FlowNode[] {
    const run = this.#run;
    if (run === undefined) return [];
    return run.graph.nodes.map((def) => ({
      node: def.index,
      task: def.task,
      path: def.path,
      state: run.states[def.index] ?? 'waiting',
      attempts: run.attempts[def.index] ?? 0,
    }));
  }

  /** How many nodes are in each state. */
  counts(): Record<NodeState, number> {
    const counts: Record<NodeState, number> = {
      waiting: 0,
      queued: 0,
      running: 0,
      fulfilled: 0,
      rejected: 0,
      cancelled: 0,
    };
    for (const state of this.#run?.states ?? []) counts[state]++;
    return counts;
  }

  /**
   * Stops the flow: nodes not started never start, running ones are stopped (their task's
   * `currentTask().signal` fires). The result rejects with FlowCancelledError. False when the
   * flow had already finished.
   */
  cancel(reason?: unknown): boolean {
    if (this.#state !== 'running') return false;
    if (this.#run === undefined) {
      this.#cancelReason = { reason };
      return true;
    }
    return this.#run.cancel(reason);
  }

  /** The flow's result: the output of its last step; rejects with FlowNodeError naming the node that failed. */
  result(): Promise<Result> {
    return this.#promise;
  }

  // biome-ignore lint/suspicious/noThenProperty: a handle is awaited like a promise, by design
  then<A = Result, B = never>(
    onfulfilled?: ((value: Result) => A | PromiseLike<A>) | null,
    onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.#promise.then(onfulfilled, onrejected);
  }

  /** @internal The listener the run reports to. */
  _listener(): RunListener {
    return {
      watching: () => this.listenerCount('node') > 0,
      node: (event) => this.emit('node', event),
      progress: (event) => {
        if (this.listenerCount('progress') > 0) this.emit('progress', event);
      },
      settled: (value, error) => this.#settle(value, error),
    };
  }

  /** @internal */
  _started(run: FlowRun): void {
    this.#run = run;
    if (this.#cancelReason !== undefined && !run.settled) run.cancel(this.#cancelReason.reason);
  }

  /** @internal */
  _settle(value: unknown, error: Error | undefined): void {
    this.#settle(value, error);
  }

  #settle(value: unknown, error: Error | undefined): void {
    if (this.#state !== 'running') return;
    if (error === undefined) {
      this.#state = 'fulfilled';
      this.#resolve(value as Result);
    } else {
      this.#state = error.name === 'FlowCancelledError' ? 'cancelled' : 'rejected';
      this.#reject(error);
    }
  }

  /** @internal A cancel() asked for before the run started. */
  get _cancelRequested(): { reason: unknown } | undefined {
    return this.#cancelReason;
  }
}
