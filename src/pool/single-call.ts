/**
 * One apply()/submit() call: it is at once the run queue's entry and the backend's request,
 * so a call costs one object (plus its Job or promise), not a handful of closures.
 */
import type { BufferPath } from '../core/arguments.js';
import type { ExecRequest, ExecResult, LocalFunction } from '../core/backend.js';
import { TaskAbortedError } from '../core/errors.js';
import type { Job } from '../core/job.js';
import { describeTask, type Task, type TaskRef } from '../core/task.js';
import type { ProgressUpdate } from '../core/task-context.js';
import { type AbortTarget, linkAbort, unlinkAbort } from './abort-links.js';
import type { Epoch } from './call-ledger.js';
import type { Entry, ProgressEvent } from './dispatch.js';
import type { Prepared } from './prepare-arguments.js';

/** What a call needs of its pool. */
export interface CallHost {
  withdraw(entry: Entry, reason: Error): void;
  emitProgress(event: ProgressEvent): void;
  /** The call's outcome has been delivered: it leaves the pool's ledger. */
  settled(epoch: Epoch): void;
}

export class SingleCall implements Entry, ExecRequest, AbortTarget {
  state: 0 | 1 | 2 = 0;
  observed: unknown = undefined;
  readonly taskName: string;
  /** The call's arguments; with one argument they double as `singleArgs`. */
  readonly #args: unknown[];
  readonly singleArgs?: readonly unknown[];
  readonly firstIndex = 0;
  readonly transfer?: readonly ArrayBuffer[];
  readonly buffers?: readonly BufferPath[];
  readonly copyBytes?: number;
  readonly timeout?: number;
  /** The call's idempotency key (`.with({ jobId })`): the job's id on a distributed queue, which may hold it already. */
  readonly jobId?: string;
  job: Job<unknown> | undefined;
  resolve: ((value: unknown) => void) | undefined;
  reject: ((error: unknown) => void) | undefined;
  readonly #host: CallHost;
  readonly #epoch: Epoch;
  #linked = false;

  constructor(
    host: CallHost,
    epoch: Epoch,
    readonly task: TaskRef | LocalFunction,
    args: unknown[],
    carried: Prepared | undefined,
    timeout: number | undefined,
    readonly signal: AbortSignal | undefined,
  ) {
    this.#host = host;
    this.#epoch = epoch;
    this.taskName = describeTask(task as Task<never[], unknown>);
    this.#args = args;
    if (args.length === 1) this.singleArgs = args;
    if (carried?.transfer !== undefined) this.transfer = carried.transfer;
    if (carried?.buffers !== undefined) this.buffers = carried.buffers;
    if (carried?.copyBytes !== undefined) this.copyBytes = carried.copyBytes;
    if (timeout !== undefined) this.timeout = timeout;
    const jobId = typeof task === 'function' ? undefined : task.options.jobId;
    if (jobId !== undefined) this.jobId = jobId;
  }

  get request(): ExecRequest {
    return this;
  }

  get items(): (readonly unknown[])[] {
    return [this.#args];
  }

  /** Starts listening to the call's signal; false when it has already fired (the call then fails). */
  listen(): boolean {
    const signal = this.signal;
    if (signal === undefined) return true;
    if (signal.aborted) {
      this.state = 2;
      this.fail(new TaskAbortedError(this.taskName, signal.reason));
      return false;
    }
    linkAbort(signal, this);
    this.#linked = true;
    return true;
  }

  aborted(reason: unknown): void {
    this.#linked = false;
    this.#host.withdraw(this, new TaskAbortedError(this.taskName, reason));
  }

  cancel(reason?: unknown): boolean {
    if (this.state === 2) return false;
    this.#host.withdraw(this, new TaskAbortedError(this.taskName, reason));
    return true;
  }

  started(): void {
    this.job?._started();
  }

  onProgress(index: number, update: ProgressUpdate): void {
    this.job?._progress(update);
    this.#host.emitProgress({
      ...update,
      task: this.taskName,
      index,
      ...(this.job ? { jobId: this.job.id } : {}),
    });
  }

  done(result: ExecResult): void {
    const error = result.errors?.get(0);
    if (error !== undefined) {
      this.fail(error);
      return;
    }
    this.#detach();
    const value = result.values[0];
    if (this.job !== undefined) this.job._resolve(value);
    else this.resolve?.(value);
    this.#host.settled(this.#epoch);
  }

  fail(error: unknown): void {
    this.#detach();
    if (this.job !== undefined) this.job._reject(error);
    else this.reject?.(error);
    this.#host.settled(this.#epoch);
  }

  #detach(): void {
    if (this.#linked && this.signal !== undefined) unlinkAbort(this.signal, this);
    this.#linked = false;
  }
}
