/**
 * The messages a pool and its workers (threads or child processes) exchange. Both directions
 * are flat arrays, so that one message carries every request issued in the same tick (or every
 * result finished in one go) with no object per request:
 *
 * - `run` carries, per request: id, task number, firstIndex, flags, then either the items (one
 *   value) or, for a single call (FLAG_SINGLE), the number of arguments and the arguments
 *   themselves, inline; with FLAG_BUFFERS one more value follows: where Buffers sit among the
 *   arguments. A task is named once per worker by a `TaskDefinition` sent along with its first
 *   request.
 * - `done` carries DONE_FIELDS values per request: id, how it ended, payload, item errors, the
 *   milliseconds the request ran (excluding any wait in the worker's queue), and where Buffers
 *   sit in the results. Requests may finish out of order when a worker runs several at once.
 *
 * Each worker also has a claim table (claim-table.ts): it claims each request before starting
 * it, and the pool may revoke one not yet claimed, so work queued behind a long task can move to
 * an idle worker without the busy one's cooperation (a child process answers `revoke` from a
 * steward thread of its own, steward.ts).
 */
import type { BufferPath } from '../../core/arguments.js';
import type { SerializedError } from '../../core/error-codec.js';
import type { ProgressUpdate } from '../../core/task-context.js';

/** Flags of a request on the wire. */
export const FLAG_TIMED = 1;
/** `items` is a Float64Array holding one number argument per item. */
export const FLAG_PACKED = 2;
/** The request has one item, whose arguments follow inline (count first). */
export const FLAG_SINGLE = 4;
/** `items` is an array holding one argument per item (not one argument list per item). */
export const FLAG_ONE_ARG = 8;
/** A list of Buffer paths ([item, argument, ...keys]) follows the items. */
export const FLAG_BUFFERS = 16;

/** Fields before the items (or the argument count) of a request in a `run` message. */
export const RUN_HEADER = 4;
/** [task number, module URL, export name, task name]. */
export type TaskDefinition = [key: number, module: string, name: string, taskName: string];

export interface WorkerSetup {
  /** The initializer task, or null. */
  readonly initializer: { readonly module: string; readonly name: string } | null;
  readonly initializerArgs: readonly unknown[];
  /** Requests the worker runs at once (more than one only while tasks await). */
  readonly tasksPerWorker: number;
  /** Whether the worker notes Buffers in results so the pool can restore them (threads). */
  readonly noteBuffers: boolean;
}

export type ParentMessage =
  | [kind: 'init', setup: WorkerSetup]
  /** `traces`, only when tracing is on: [request id, traceparent, ...] (src/observe/tracing.ts). */
  | [kind: 'run', definitions: TaskDefinition[] | null, calls: unknown[], traces?: unknown[]]
  | [kind: 'abort', id: number, reason: SerializedError]
  /** Take back these requests ([id, seq] pairs) if not started yet (child processes). */
  | [kind: 'revoke', requests: [id: number, seq: number][]]
  | [kind: 'close'];

export const DONE_FIELDS = 6;
/** Payload: the results array; errors: [item index, error][] or null. */
export const DONE_VALUES = 0;
/** Payload: a Float64Array of the results (every result was a number). */
export const DONE_PACKED = 1;
/** Payload: the only item's result. */
export const DONE_ONE = 2;
/** The request as a whole failed (its task module could not load): payload is the error. */
export const DONE_FAILED = 3;
/** The request was cancelled before it started and was not run. */
export const DONE_SKIPPED = 4;

export type WorkerMessage =
  /** The initializer finished: the worker takes requests. */
  | [kind: 'ready']
  | [kind: 'done', results: unknown[]]
  /** A request with a timeout started (the parent arms its timer from here). */
  | [kind: 'started', id: number]
  | [kind: 'progress', id: number, index: number, update: ProgressUpdate]
  /** The requests taken back after a `revoke` (the others had started). */
  | [kind: 'revoked', ids: number[]]
  /** The worker cannot go on: its initializer failed (`init`) or an error escaped a task (`crash`). */
  | [kind: 'fatal', error: SerializedError, during: 'init' | 'crash'];

/** Buffer paths as they travel: [item index, argument index, ...keys] for arguments. */
export type WireBufferPaths = BufferPath[];
