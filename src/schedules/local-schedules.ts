/**
 * Schedules on the local backends (sequential, async, threads, processes): timers in this
 * process, each run submitted to the pool like any call. They live as long as the pool and
 * the process: close() or terminate() ends them, and windows before the process started are
 * not known. A window is missed when its timer fires only after the next window began (the
 * process was suspended, its event loop blocked, the machine asleep); the `missed` policy then
 * runs it once (`'run-once'`) or lets it go (`'skip'`, with a `missed` event). Timers keep the
 * process alive while a schedule is active; delays of any length are safe (long-timer.ts).
 */
import type { Job } from '../core/job.js';
import { type LongTimer, startTimer } from '../core/long-timer.js';
import { ScheduleNotFoundError } from './errors.js';
import { Schedule, type ScheduleControl, type ScheduleInfo } from './schedule.js';
import { cronNext, describeTiming, nextDue, type ScheduleTiming } from './spec.js';

/** What local schedules need of their pool. */
export interface LocalScheduleHost {
  /** Starts one run; throws (QueueFullError, PoolClosedError) when it cannot. */
  submit(args: readonly unknown[], entry: LocalEntryDefinition): Job<unknown>;
}

export interface LocalEntryDefinition {
  readonly id: string;
  readonly task: string;
  readonly run: unknown;
  readonly args: readonly unknown[];
  readonly timing: ScheduleTiming;
}

/** Windows counted one by one at most this many (a cron missed for years counts as this many). */
const MAX_COUNTED_WINDOWS = 10_000;

class LocalEntry {
  paused = false;
  removed = false;
  next: number | undefined;
  #timer: LongTimer | undefined;
  /** Bumped by pause/resume/remove: a fire in flight from before is dropped. */
  #generation = 0;
  /** The first due time of an `every` schedule since it was started or resumed: its grid. */
  #anchor: number;

  constructor(
    readonly definition: LocalEntryDefinition,
    readonly handle: Schedule,
    readonly host: LocalScheduleHost,
  ) {
    this.#anchor = Date.now();
  }

  async start(now: number): Promise<void> {
    const generation = ++this.#generation;
    const { timing } = this.definition;
    // An `every` schedule runs at once, then every interval (as BullMQ's job schedulers do).
    if (timing.every !== undefined) this.#anchor = now;
    const first =
      timing.every !== undefined ? now : await cronNext(timing.cron as string, timing.tz ?? 'UTC', now);
    if (generation === this.#generation) this.#arm(first, generation);
  }

  stop(): void {
    this.#generation++;
    this.#timer?.clear();
    this.#timer = undefined;
    this.next = undefined;
  }

  #arm(due: number, generation: number): void {
    this.next = due;
    this.#timer = startTimer(() => void this.#fire(due, generation), Math.max(0, due - Date.now()), false);
  }

  async #fire(due: number, generation: number): Promise<void> {
    this.#timer = undefined;
    const { timing } = this.definition;
    const now = Date.now();
    const windowEnd = await nextDue(timing, due);
    if (generation !== this.#generation) return;
    let upcoming: number;
    if (windowEnd <= now) {
      // Missed: `due` and every due time after it up to now went by unstarted; the schedule
      // goes on from the first due time after now.
      let windows = 1;
      upcoming = windowEnd;
      while (upcoming <= now && windows < MAX_COUNTED_WINDOWS) {
        windows++;
        upcoming = await this.#after(upcoming);
      }
      if (upcoming <= now) upcoming = await this.#firstAfter(now);
      if (generation !== this.#generation) return;
      if (timing.missed === 'skip')
        this.handle.emit('missed', { due: new Date(due), windows, reason: 'window passed' });
      else this.#run(due, true, 1);
    } else {
      upcoming = windowEnd;
      this.#run(due, false, 1);
    }
    if (generation === this.#generation) this.#arm(upcoming, generation);
  }

  #run(due: number, late: boolean, windows: number): void {
    let job: Job<unknown>;
    try {
      job = this.host.submit(this.definition.args, this.definition);
    } catch {
      this.handle.emit('missed', { due: new Date(due), windows, reason: 'queue full' });
      return;
    }
    this.handle.emit('run', { due: new Date(due), late, job });
  }

  #after(due: number): Promise<number> {
    return nextDue(this.definition.timing, due);
  }

  /** The first due time strictly after `now`. */
  async #firstAfter(now: number): Promise<number> {
    const { timing } = this.definition;
    if (timing.every !== undefined) {
      const every = timing.every;
      return this.#anchor + (Math.floor((now - this.#anchor) / every) + 1) * every;
    }
    return cronNext(timing.cron as string, timing.tz ?? 'UTC', now);
  }

  info(): ScheduleInfo {
    const { id, task, args, timing } = this.definition;
    return {
      id,
      task,
      ...(timing.every !== undefined ? { every: timing.every } : { cron: timing.cron, tz: timing.tz }),
      missed: timing.missed,
      paused: this.paused,
      next: this.paused || this.next === undefined ? undefined : new Date(this.next),
      args,
      timing: describeTiming(timing),
    } as ScheduleInfo;
  }
}

export class LocalSchedules implements ScheduleControl {
  readonly #entries = new Map<string, LocalEntry>();
  readonly #host: LocalScheduleHost;
  #stopped = false;

  constructor(host: LocalScheduleHost) {
    this.#host = host;
  }

  /** Starts (or replaces) a schedule. */
  async add(definition: LocalEntryDefinition): Promise<Schedule> {
    const existing = this.#entries.get(definition.id);
    const paused = existing?.paused ?? false;
    if (existing !== undefined) {
      existing.stop();
      existing.removed = true;
    }
    const handle = existing?.handle ?? new Schedule(definition.id, definition.task, this);
    const entry = new LocalEntry(definition, handle, this.#host);
    entry.paused = paused;
    this.#entries.set(definition.id, entry);
    if (!paused && !this.#stopped) await entry.start(Date.now());
    return handle;
  }

  list(): ScheduleInfo[] {
    return [...this.#entries.values()].map((entry) => entry.info());
  }

  async info(id: string): Promise<ScheduleInfo> {
    return this.#entry(id).info();
  }

  async pause(id: string): Promise<void> {
    const entry = this.#entry(id);
    entry.paused = true;
    entry.stop();
  }

  async resume(id: string): Promise<void> {
    const entry = this.#entry(id);
    if (!entry.paused) return;
    entry.paused = false;
    if (!this.#stopped) await entry.start(Date.now());
  }

  async remove(id: string): Promise<boolean> {
    const entry = this.#entries.get(id);
    if (entry === undefined) return false;
    entry.stop();
    entry.removed = true;
    this.#entries.delete(id);
    return true;
  }

  /** The pool closed: every timer ends (the schedules stay listed, none runs again). */
  stop(): void {
    this.#stopped = true;
    for (const entry of this.#entries.values()) entry.stop();
  }

  #entry(id: string): LocalEntry {
    const entry = this.#entries.get(id);
    if (entry === undefined) throw new ScheduleNotFoundError(id, 'this pool');
    return entry;
  }
}
