/** What the workflow engine needs of its pool (the pool hands it out through `_flowHost()`). */
import type { Backend, BackendName } from '../core/backend.js';
import type { Task } from '../core/task.js';
import type { Epoch } from '../pool/call-ledger.js';
import type { Entry } from '../pool/dispatch.js';
import type { Prepared } from '../pool/prepare-arguments.js';

export interface FlowHost {
  readonly backendName: BackendName;
  /** The pool's default timeout for a call. */
  readonly defaultTimeout: number | undefined;
  ready(): Promise<Backend>;
  /** Throws PoolClosedError once the pool is closed or terminated. */
  assertOpen(): void;
  /** Checks a batch of argument lists for this backend (rewriting moved values). */
  prepareBatch(task: Task<never[], unknown>, items: unknown[][], firstIndex: number): Prepared | undefined;
  enqueue(entry: Entry): void;
  withdraw(entry: Entry, reason: Error): void;
  /** Counts the flow as a pending call of the pool (join() waits for it) until `leave`. */
  enter(): Epoch;
  leave(epoch: Epoch): void;
}
