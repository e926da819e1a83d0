/**
 * The messages a pool and its workers (threads or child processes) exchange. Tuples rather
 * than objects keep each message small and cheap to clone; one message carries every request
 * issued in the same tick, and one reply carries every result finished in one go.
 */
import type { SerializedError } from '../../core/error-codec.js';
import type { ProgressUpdate } from '../../core/task-context.js';

/** Flags of a request on the wire. */
export const FLAG_TIMED = 1;
/** `items` is a Float64Array holding one number argument per item. */
export const FLAG_PACKED = 2;

/** One request: [id, module URL, export name, task name, items, firstIndex, flags]. */
export type WireCall = [
  id: number,
  module: string,
  name: string,
  taskName: string,
  items: readonly (readonly unknown[])[] | Float64Array,
  firstIndex: number,
  flags: number,
];

export interface WorkerSetup {
  /** The initializer task, or null. */
  readonly initializer: { readonly module: string; readonly name: string } | null;
  readonly initializerArgs: readonly unknown[];
}

export type ParentMessage =
  | [kind: 'init', setup: WorkerSetup]
  | [kind: 'run', calls: WireCall[]]
  | [kind: 'abort', id: number, reason: SerializedError]
  | [kind: 'close'];

/** How a request ended in the worker. */
export const DONE_VALUES = 0;
/** `values` is a Float64Array (every result was a number). */
export const DONE_PACKED = 1;
/** The request as a whole failed (its task module could not load): `values` holds the error. */
export const DONE_FAILED = 2;
/** The request was cancelled before it started and was not run. */
export const DONE_SKIPPED = 3;

export type WireDone = [
  id: number,
  how: number,
  values: unknown[] | Float64Array | SerializedError | null,
  errors: [index: number, error: SerializedError][] | undefined,
];

export type WorkerMessage =
  /** The initializer finished: the worker takes requests. */
  | [kind: 'ready']
  | [kind: 'done', results: WireDone[]]
  /** A request with a timeout started (the parent arms its timer from here). */
  | [kind: 'started', id: number]
  | [kind: 'progress', id: number, index: number, update: ProgressUpdate]
  /** The worker cannot go on: its initializer failed (`init`) or an error escaped a task (`crash`). */
  | [kind: 'fatal', error: SerializedError, during: 'init' | 'crash'];
