/** The handle `pool.schedule()` returns, and what a schedule looks like when listed. */
import { EventEmitter } from 'node:events';
import type { Job } from '../core/job.js';
import type { MissedPolicy } from './spec.js';

export interface ScheduleInfo {
  readonly id: string;
  /** The task's id (`tasks#cleanup`) or, locally, a function's name. */
  readonly task: string;
  /** Interval in ms, for an `every` schedule. */
  readonly every?: number;
  /** Pattern and time zone, for a cron schedule. */
  readonly cron?: string;
  readonly tz?: string;
  readonly missed: MissedPolicy;
  readonly paused: boolean;
  /** When it is due next (undefined while paused, or when the queue does not say). */
  readonly next: Date | undefined;
  /** The arguments each run gets. */
  readonly args: readonly unknown[];
  /** `every 15m` or `cron 0 3 * * * (Europe/Berlin)`. */
  readonly timing: string;
}

/** A run of the schedule: started here (local backends) or taken by a worker (Redis). */
export interface ScheduleRun<R = unknown> {
  /** The start of the window this run belongs to. */
  readonly due: Date;
  /** True when it runs after its window passed (the `'run-once'` policy's catch-up run). */
  readonly late: boolean;
  readonly job: Job<R>;
}

/** Windows a schedule let pass unrun (policy `'skip'`; locally also no room on the pool's queue). */
export interface ScheduleMissed {
  /** The first window missed. */
  readonly due: Date;
  /** How many windows went by unrun. */
  readonly windows: number;
  readonly reason: 'window passed' | 'queue full';
}

export interface ScheduleEvents<R = unknown> {
  run: [run: ScheduleRun<R>];
  missed: [missed: ScheduleMissed];
}

/** @internal What a handle does through its pool. */
export interface ScheduleControl {
  info(id: string): Promise<ScheduleInfo>;
  pause(id: string): Promise<void>;
  resume(id: string): Promise<void>;
  remove(id: string): Promise<boolean>;
}

/**
 * One schedule. It emits `run` (with the run's Job) and `missed`: on the local backends as its
 * timers fire; on Redis while its pool is open, as workers take (or skip) its runs.
 */
export class Schedule<R = unknown> extends EventEmitter<ScheduleEvents<R>> {
  readonly #control: ScheduleControl;

  /** @internal Made by `pool.schedule()`. */
  constructor(
    readonly id: string,
    readonly task: string,
    control: ScheduleControl,
  ) {
    super();
    this.#control = control;
  }

  /** The schedule as it stands: timing, paused or not, when it is due next. */
  info(): Promise<ScheduleInfo> {
    return this.#control.info(this.id);
  }

  /** Stops runs until resume(); the definition is kept. */
  pause(): Promise<void> {
    return this.#control.pause(this.id);
  }

  /** Runs again from the next window (an `every` schedule runs at once, as when it was made). */
  resume(): Promise<void> {
    return this.#control.resume(this.id);
  }

  /** Deletes the schedule; false when it was already gone. A run under way finishes. */
  remove(): Promise<boolean> {
    return this.#control.remove(this.id);
  }
}
