/**
 * How the pool's parts talk to each other: a call (one apply/submit, or one batch of a map) is
 * an Entry on the run queue; the map family reaches the pool through a Dispatcher.
 */
import type { BackendName, ExecRequest, ExecResult } from '../core/backend.js';
import type { Task } from '../core/task.js';
import type { ProgressUpdate } from '../core/task-context.js';
import type { Prepared } from './prepare-arguments.js';

/** A progress report from a running task, as the pool emits it. */
export interface ProgressEvent extends ProgressUpdate {
  readonly task: string;
  /** Index of the item within its map; 0 for a single call. */
  readonly index: number;
  /** The job's id, for calls made with submit(). */
  readonly jobId?: string;
}

/** A request on its way through the pool. */
export interface Entry {
  readonly request: ExecRequest;
  /** 0 queued, 1 running, 2 settled. */
  state: 0 | 1 | 2;
  done(result: ExecResult): void;
  fail(error: unknown): void;
  started?(): void;
  /** Kept by the pool's observer (src/observe/); undefined when nothing observes. */
  observed: unknown;
}

/** What the map family needs of the pool. */
export interface Dispatcher {
  readonly backendName: BackendName;
  backendInfo(): Promise<{ slots: number; parallelism: number; maxBatch: number; packsNumbers: boolean }>;
  /** Checks a batch of argument lists (rewriting moved values): what the request must carry. */
  prepareBatch(task: Task<never[], unknown>, items: unknown[][], firstIndex: number): Prepared | undefined;
  /** The same for a batch of single arguments (rewritten in place where moved). */
  prepareSingles(task: Task<never[], unknown>, args: unknown[], firstIndex: number): Prepared | undefined;
  enqueue(entry: Entry): void;
  withdraw(entry: Entry, reason: Error): void;
  emitProgress(event: ProgressEvent): void;
  readonly defaultTimeout: number | undefined;
}
