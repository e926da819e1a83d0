/**
 * What a workflow is before it runs: a tree of steps (a task with its bound arguments, a chain,
 * a group) that `chain`, `group`, `chord` and `TaskRef.partial` build. A `Flow<Need, Out>` is
 * typed like a function: `Need` is what it still takes (nothing, or the previous step's output),
 * `Out` what it gives. The types live in a phantom field, as TaskRef's do, so a TaskRef and a
 * Flow are both steps: `{ __signature?: (...args: Need) => Out }`.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { assertKnownKeys } from '../core/option-keys.js';
import type { CallOptions, TaskRef } from '../core/task.js';

/** Per-node options: the call's timeout, and retries. (A flow is cancelled as a whole, not per node.) */
export interface NodeOptions extends Omit<CallOptions, 'signal'> {
  /** Runs in all, counting the first (default 1: no retry). */
  readonly attempts?: number;
  /** Wait between attempts: a kind (delay 1000 ms) or a kind with its delay in ms. */
  readonly backoff?:
    | 'exponential'
    | 'fixed'
    | { readonly type: 'exponential' | 'fixed'; readonly delay: number };
}

/** The run-time description of a flow. */
export type FlowSpec =
  | {
      readonly type: 'task';
      readonly task: TaskRef;
      /** Arguments bound by partial(); the previous step's output follows them. */
      readonly args: readonly unknown[];
      readonly options: NodeOptions;
    }
  | { readonly type: 'chain'; readonly steps: readonly FlowSpec[] }
  | { readonly type: 'group'; readonly members: readonly FlowSpec[] };

// biome-ignore lint/suspicious/noExplicitAny: the default stands for "a flow taking anything"
export interface Flow<Need extends unknown[] = any[], Out = unknown> {
  readonly kind: 'taskmill.flow';
  /** @internal The run-time description. */
  readonly spec: FlowSpec;
  /** The same step with per-node options (retries, timeout); on a task step only. */
  with(options: NodeOptions): Flow<Need, Out>;
  /** Phantom field that carries the types; never set at run time. */
  readonly __signature?: (...args: Need) => Out;
}

/** Anything that can be a step of a flow: a task reference or a flow. */
export interface Step<Need extends unknown[] = never, Out = unknown> {
  readonly __signature?: (...args: Need) => Out;
}

export function makeFlow<Need extends unknown[], Out>(spec: FlowSpec): Flow<Need, Out> {
  return Object.freeze({
    kind: 'taskmill.flow' as const,
    spec,
    with(options: NodeOptions): Flow<Need, Out> {
      if (spec.type !== 'task') {
        throw new InvalidArgumentError(
          'with() sets the options of one task step: call it on a task step, e.g. t.resize.partial(200).with({ attempts: 3 })',
        );
      }
      if (options === null || typeof options !== 'object') {
        throw new InvalidArgumentError('with() takes node options, e.g. { attempts: 3, backoff: "fixed" }');
      }
      assertKnownKeys(options, NODE_OPTION_KEYS, `${spec.task.id} step options`);
      checkNodeOptions(options, spec.task.id);
      return makeFlow<Need, Out>({ ...spec, options: { ...spec.options, ...options } });
    },
  });
}

export function isFlow(value: unknown): value is Flow {
  return (
    typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'taskmill.flow'
  );
}

const NODE_OPTION_KEYS: readonly (keyof NodeOptions)[] = ['attempts', 'backoff', 'timeout'];

/** Throws InvalidArgumentError naming the step when its options are out of range. */
export function checkNodeOptions(options: NodeOptions, where: string): void {
  const { attempts, backoff, timeout } = options;
  if (attempts !== undefined && !(Number.isInteger(attempts) && attempts >= 1)) {
    throw new InvalidArgumentError(`${where}: attempts must be a whole number, 1 or more, got ${attempts}`);
  }
  if (timeout !== undefined && !(typeof timeout === 'number' && timeout > 0 && Number.isFinite(timeout))) {
    throw new InvalidArgumentError(`${where}: timeout must be a positive number of ms, got ${timeout}`);
  }
  if (backoff === undefined || backoff === 'fixed' || backoff === 'exponential') return;
  if (
    typeof backoff !== 'object' ||
    backoff === null ||
    (backoff.type !== 'fixed' && backoff.type !== 'exponential') ||
    !(typeof backoff.delay === 'number' && backoff.delay >= 0 && Number.isFinite(backoff.delay))
  ) {
    throw new InvalidArgumentError(
      `${where}: backoff must be 'fixed', 'exponential' or { type, delay } with delay in ms, e.g. { type: 'fixed', delay: 100 }`,
    );
  }
}
