/**
 * `run` and `missed` events on the handles of Redis schedules, as local schedules have them.
 * The runs happen on the workers; a pool whose handle has a listener reads the queue's event
 * stream (one reader on its own connection, started at the first listener) and reports each
 * run of its schedules: `run` when a worker takes it, with a Job that follows its result; with
 * the policy `'skip'`, when it ends instead, since only then is it known whether the worker
 * ran it or let it go (a `missed` event).
 */
import type { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import type { Job } from '../core/job.js';
import { EventReader, type QueueEvent } from '../distributed/event-reader.js';
import type { Schedule } from './schedule.js';
import { nextDue, type ScheduleTiming, windowPassed } from './spec.js';

/** Windows counted one by one at most this many. */
const MAX_COUNTED_WINDOWS = 10_000;

export class RunEvents {
  readonly #client: () => Redis;
  readonly #eventsKey: string;
  readonly #follow: (id: string) => Job<unknown>;
  readonly #handles = new Map<string, Set<Schedule>>();
  readonly #timings = new Map<string, ScheduleTiming>();
  readonly #hooked = new WeakSet<Schedule>();
  #reader: EventReader | undefined;
  #closed = false;

  constructor(client: () => Redis, eventsKey: string, follow: (id: string) => Job<unknown>) {
    this.#client = client;
    this.#eventsKey = eventsKey;
    this.#follow = follow;
  }

  /** Reports the runs of `handle`'s schedule to it once it has a `run` or `missed` listener. */
  attach(handle: Schedule, timing: ScheduleTiming): void {
    this.#timings.set(handle.id, timing);
    if (this.#hooked.has(handle)) return;
    this.#hooked.add(handle);
    (handle as unknown as EventEmitter).on('newListener', (name: string) => {
      if (name !== 'run' && name !== 'missed') return;
      let set = this.#handles.get(handle.id);
      if (set === undefined) {
        set = new Set();
        this.#handles.set(handle.id, set);
      }
      set.add(handle);
      void this.#start();
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    const reader = this.#reader;
    this.#reader = undefined;
    await reader?.close();
  }

  async #start(): Promise<void> {
    if (this.#reader !== undefined || this.#closed) return;
    const connection = this.#client().duplicate();
    connection.on('error', () => {});
    const reader = new EventReader(
      connection,
      this.#eventsKey,
      ['active', 'completed', 'failed'],
      (event) => {
        void this.#onEvent(event).catch(() => {});
      },
    );
    this.#reader = reader;
    await reader.start().catch(() => {});
  }

  async #onEvent(event: QueueEvent): Promise<void> {
    const parsed = /^repeat:(.+):(\d+)$/.exec(event.jobId ?? '');
    if (parsed === null) return;
    const [, scheduleId, dueText] = parsed as unknown as [string, string, string];
    const handles = this.#handles.get(scheduleId);
    const timing = this.#timings.get(scheduleId);
    if (handles === undefined || timing === undefined) return;
    const jobId = event.jobId as string;
    const due = Number(dueText);
    const now = Date.now();
    if (event.event === 'active') {
      if (timing.missed === 'skip') return;
      const late = await windowPassed(timing, due, now);
      const job = this.#follow(jobId);
      for (const handle of handles) handle.emit('run', { due: new Date(due), late, job });
      return;
    }
    if (timing.missed !== 'skip') return;
    if (event.event === 'completed' && isSkipped(event.fields.returnvalue)) {
      const windows = await countWindows(timing, due, now);
      for (const handle of handles)
        handle.emit('missed', { due: new Date(due), windows, reason: 'window passed' });
      return;
    }
    const job = this.#follow(jobId);
    for (const handle of handles) handle.emit('run', { due: new Date(due), late: false, job });
  }
}

function isSkipped(returnvalue: string | undefined): boolean {
  try {
    const value = JSON.parse(returnvalue ?? 'null') as { skipped?: unknown } | null;
    return value !== null && typeof value === 'object' && value.skipped === 'missed window';
  } catch {
    return false;
  }
}

/** Due times from `due` up to `now` (each went by unrun). */
async function countWindows(timing: ScheduleTiming, due: number, now: number): Promise<number> {
  let windows = 1;
  let at = await nextDue(timing, due);
  while (at <= now && windows < MAX_COUNTED_WINDOWS) {
    windows++;
    at = await nextDue(timing, at);
  }
  return windows;
}
