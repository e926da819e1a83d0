/**
 * A handle on one submitted call: Python's AsyncResult in TypeScript idiom.
 * `ready()`, `successful()`, `get(timeoutMs)`, `wait(timeoutMs)`, `cancel()`, progress.
 */
import { withDeadline } from './deadline.js';
import { InvalidArgumentError, WaitTimeoutError } from './errors.js';
import type { ProgressUpdate } from './task-context.js';

export type JobState = 'queued' | 'running' | 'fulfilled' | 'rejected';

export interface JobControl {
  /** Cancels the call; returns false when it had already finished. */
  cancel(reason?: unknown): boolean;
}

export class Job<Result = unknown> {
  /** Unique within the pool (for distributed jobs: the queue's job id). */
  get id(): string {
    return typeof this.#id === 'string' ? this.#id : `${this.#prefix}${this.#id}`;
  }
  /** The task's name, e.g. `tasks#square`. */
  readonly task: string;
  readonly #id: string | number;
  readonly #prefix: string;
  #state: JobState = 'queued';
  #value: Result | undefined;
  #error: unknown;
  /** Made on first demand: a job whose result nobody asks for costs no promise. */
  #promise: Promise<Result> | undefined;
  #resolveResult: ((value: Result) => void) | undefined;
  #rejectResult: ((error: unknown) => void) | undefined;
  #control: JobControl | undefined;
  #progressListeners: ((update: ProgressUpdate) => void)[] | undefined;
  #lastProgress: ProgressUpdate | undefined;

  /** @internal Jobs are made by a Pool (`prefix` + a number, or a distributed job's own id). */
  constructor(id: string | number, task: string, prefix = '') {
    this.#id = id;
    this.#prefix = prefix;
    this.task = task;
  }

  #result(): Promise<Result> {
    if (this.#promise === undefined) {
      if (this.#state === 'fulfilled') this.#promise = Promise.resolve(this.#value as Result);
      else if (this.#state === 'rejected') this.#promise = Promise.reject(this.#error);
      else {
        this.#promise = new Promise<Result>((resolve, reject) => {
          this.#resolveResult = resolve;
          this.#rejectResult = reject;
        });
      }
    }
    return this.#promise;
  }

  get state(): JobState {
    return this.#state;
  }

  /** The last progress the task reported, if any. */
  get progress(): ProgressUpdate | undefined {
    return this.#lastProgress;
  }

  /** Whether the call has finished (either way). */
  ready(): boolean {
    return this.#state === 'fulfilled' || this.#state === 'rejected';
  }

  /** Whether the call finished without error. Throws when it has not finished yet, like Python's. */
  successful(): boolean {
    if (!this.ready()) {
      throw new InvalidArgumentError(`job ${this.id} has not finished: check ready() or await wait() first`);
    }
    return this.#state === 'fulfilled';
  }

  /**
   * The result; rejects with the task's error. With `timeoutMs`, rejects with WaitTimeoutError
   * when the result is not there in time (the job itself keeps running).
   */
  get(timeoutMs?: number): Promise<Result> {
    if (timeoutMs === undefined || this.ready()) return this.#result();
    return withTimeout(this.#result(), timeoutMs);
  }

  /** Resolves when the job has finished, successfully or not; never rejects for the task's error. */
  async wait(timeoutMs?: number): Promise<void> {
    const done = this.#result().then(
      () => undefined,
      () => undefined,
    );
    await (timeoutMs === undefined ? done : withTimeout(done, timeoutMs));
  }

  /** Cancels the job: a queued job is dropped, a running one is stopped. False if it had finished. */
  cancel(reason?: unknown): boolean {
    if (this.ready() || this.#control === undefined) return false;
    return this.#control.cancel(reason);
  }

  /** Calls `listener` on each progress report of the task. */
  onProgress(listener: (update: ProgressUpdate) => void): this {
    (this.#progressListeners ??= []).push(listener);
    return this;
  }

  /** @internal */
  _attach(control: JobControl): void {
    this.#control = control;
  }

  /** @internal */
  _started(): void {
    if (this.#state === 'queued') this.#state = 'running';
  }

  /** @internal */
  _progress(update: ProgressUpdate): void {
    this.#lastProgress = update;
    if (this.#progressListeners !== undefined)
      for (const listener of this.#progressListeners) listener(update);
  }

  /** @internal */
  _resolve(value: Result): void {
    if (this.ready()) return;
    this.#state = 'fulfilled';
    this.#value = value;
    this.#resolveResult?.(value);
  }

  /** @internal */
  _reject(error: unknown): void {
    if (this.ready()) return;
    this.#state = 'rejected';
    this.#error = error;
    this.#rejectResult?.(error);
  }

  /** The value, once fulfilled (undefined before). */
  get value(): Result | undefined {
    return this.#value;
  }

  /** The error, once rejected (undefined before). */
  get error(): unknown {
    return this.#error;
  }
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  if (!(typeof timeoutMs === 'number' && timeoutMs >= 0 && !Number.isNaN(timeoutMs))) {
    return Promise.reject(
      new InvalidArgumentError(`timeout must be a non-negative number of ms, got ${timeoutMs}`),
    );
  }
  return withDeadline(promise, timeoutMs, () => new WaitTimeoutError(timeoutMs));
}
