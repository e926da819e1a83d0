/**
 * Schedules on Redis: each one is a BullMQ job scheduler (`upsertJobScheduler`), so a window
 * makes exactly one job however many workers and callers there are: the next run's job is
 * made, atomically, when a worker takes the current one. Beside it, taskmill keeps each
 * schedule's definition in one hash (`<prefix>:<queue>:taskmill:schedules`), which lets a
 * schedule be paused (its job scheduler removed, its definition kept) and resumed, and lets
 * pool.schedule() at every start of a service leave a paused schedule paused.
 *
 * Missed windows: when no worker took a run before its window ended, the job still waits; a
 * worker that comes back takes it (one run, however many windows passed: `'run-once'`) or, with
 * `'skip'`, completes it unrun (missedRun below). Either way the next run is the first window
 * after that moment.
 */
import type { JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { decodeValue, type Json } from '../distributed/wire-codec.js';
import { ScheduleNotFoundError } from './errors.js';
import type { RunEvents } from './redis-run-events.js';
import { Schedule, type ScheduleControl, type ScheduleInfo } from './schedule.js';
import { describeTiming, type MissedPolicy, type ScheduleTiming, windowPassed } from './spec.js';

/** A schedule's definition as stored in Redis. */
export interface StoredSchedule {
  readonly id: string;
  /** Task id, `moduleId#name`. */
  readonly task: string;
  /** The argument list, encoded by wire-codec. */
  readonly args: Json;
  readonly every?: number;
  readonly cron?: string;
  readonly tz?: string;
  readonly missed: MissedPolicy;
  readonly paused: boolean;
  /** Ms the worker lets each run take, when the task reference has a timeout. */
  readonly timeout?: number;
  /** BullMQ options of each run's job (how long finished runs are kept), as the pool had them. */
  readonly opts?: JobsOptions;
}

/** What a scheduled job's data carries besides `task` and `args`, for the worker. */
export interface ScheduleMark {
  readonly id: string;
  readonly missed: MissedPolicy;
  readonly every?: number;
  readonly cron?: string;
  readonly tz?: string;
}

export interface RedisScheduleAccess {
  readonly queue: Queue;
  readonly client: Redis;
  readonly prefix: string;
  readonly queueName: string;
  /** Options every run's job gets (how long finished jobs are kept). */
  readonly jobOptions: JobsOptions;
  /** Largest encoded argument list the queue takes. */
  readonly maxPayloadBytes: number;
}

/** Removes job ARGV[1] (hash KEYS[3]) only if it is in the wait list KEYS[1] or the paused list KEYS[2]. */
const REMOVE_IF_WAITING = `if redis.call('LREM', KEYS[1], 0, ARGV[1]) + redis.call('LREM', KEYS[2], 0, ARGV[1]) > 0 then
  redis.call('DEL', KEYS[3], KEYS[3] .. ':logs')
  return 1
end
return 0`;

export const schedulesKey = (prefix: string, queue: string): string =>
  `${prefix}:${queue}:taskmill:schedules`;

export class RedisSchedules implements ScheduleControl {
  readonly #access: RedisScheduleAccess;
  readonly #key: string;

  readonly #events: RunEvents | undefined;

  /** `events`: report runs to the handles (a pool's schedules; the queue admin has none). */
  constructor(access: RedisScheduleAccess, events?: RunEvents) {
    this.#access = access;
    this.#key = schedulesKey(access.prefix, access.queueName);
    this.#events = events;
  }

  /** Stops reporting runs (the pool closed). */
  async close(): Promise<void> {
    await this.#events?.close();
  }

  get maxPayloadBytes(): number {
    return this.#access.maxPayloadBytes;
  }

  /** Makes or replaces a schedule; one that is paused stays paused (with the new definition). */
  async upsert(definition: Omit<StoredSchedule, 'paused' | 'opts'>): Promise<Schedule> {
    const existing = await this.#read(definition.id);
    const stored: StoredSchedule = {
      ...definition,
      opts: this.#access.jobOptions,
      paused: existing?.paused ?? false,
    };
    await this.#access.client.hset(this.#key, definition.id, JSON.stringify(stored));
    if (!stored.paused) await this.#activate(stored);
    const handle = new Schedule(definition.id, definition.task, this);
    this.#events?.attach(handle, timingOf(stored));
    return handle;
  }

  /** Every schedule of the queue: taskmill's, and job schedulers made by other BullMQ code. */
  async list(): Promise<ScheduleInfo[]> {
    const [stored, schedulers] = await Promise.all([
      this.#access.client.hgetall(this.#key),
      this.#access.queue.getJobSchedulers(0, -1, true),
    ]);
    const next = new Map<string, number | undefined>();
    for (const s of schedulers) next.set(s.key, s.next ?? undefined);
    const out: ScheduleInfo[] = [];
    for (const text of Object.values(stored)) {
      const schedule = parseStored(text);
      if (schedule !== undefined) out.push(toInfo(schedule, next.get(schedule.id)));
    }
    for (const s of schedulers) {
      if (stored[s.key] !== undefined) continue;
      const data = s.template?.data as { task?: unknown; args?: Json } | undefined;
      out.push({
        id: s.key,
        task: typeof data?.task === 'string' ? data.task : s.name,
        ...(s.every !== undefined && s.every !== null
          ? { every: s.every }
          : { cron: s.pattern ?? '', tz: s.tz ?? 'UTC' }),
        missed: 'run-once',
        paused: false,
        next: s.next ? new Date(s.next) : undefined,
        args: decodeArgs(data?.args),
        timing:
          s.every !== undefined && s.every !== null
            ? describeTiming({ every: s.every })
            : describeTiming({ cron: s.pattern ?? '', tz: s.tz ?? 'UTC' }),
      } as ScheduleInfo);
    }
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async info(id: string): Promise<ScheduleInfo> {
    const stored = await this.#read(id);
    if (stored === undefined) throw this.#notFound(id);
    const scheduler = stored.paused ? undefined : await this.#access.queue.getJobScheduler(id);
    return toInfo(stored, scheduler?.next ?? undefined);
  }

  async pause(id: string): Promise<void> {
    const stored = await this.#read(id);
    if (stored === undefined) throw this.#notFound(id);
    await this.#access.client.hset(this.#key, id, JSON.stringify({ ...stored, paused: true }));
    await this.#removeScheduler(id);
  }

  async resume(id: string): Promise<void> {
    const stored = await this.#read(id);
    if (stored === undefined) throw this.#notFound(id);
    const resumed = { ...stored, paused: false };
    await this.#access.client.hset(this.#key, id, JSON.stringify(resumed));
    await this.#activate(resumed);
  }

  async remove(id: string): Promise<boolean> {
    const [deleted, removed] = await Promise.all([
      this.#access.client.hdel(this.#key, id),
      this.#removeScheduler(id),
    ]);
    return deleted === 1 || removed;
  }

  /**
   * Removes the job scheduler and its pending run: BullMQ removes that run only while it is
   * delayed; one already due and waiting for a worker is removed here (one that runs finishes).
   */
  async #removeScheduler(id: string): Promise<boolean> {
    const { queue, client, prefix, queueName } = this.#access;
    const current = await queue.getJobScheduler(id);
    const removed = await queue.removeJobScheduler(id);
    if (typeof current?.next === 'number') {
      const jobId = `repeat:${id}:${current.next}`;
      const key = (name: string) => `${prefix}:${queueName}:${name}`;
      // Only while it waits (atomically): a run a worker took, or finished, keeps its record.
      await client.eval(REMOVE_IF_WAITING, 3, key('wait'), key('paused'), key(jobId), jobId).catch(() => 0);
    }
    return removed;
  }

  async #read(id: string): Promise<StoredSchedule | undefined> {
    const text = await this.#access.client.hget(this.#key, id);
    return text === null ? undefined : parseStored(text);
  }

  #activate(stored: StoredSchedule): Promise<unknown> {
    const mark: ScheduleMark = {
      id: stored.id,
      missed: stored.missed,
      ...(stored.every !== undefined ? { every: stored.every } : { cron: stored.cron, tz: stored.tz }),
    } as ScheduleMark;
    const data = {
      task: stored.task,
      args: stored.args,
      ...(stored.timeout !== undefined ? { timeout: stored.timeout } : {}),
      schedule: mark,
    };
    return this.#access.queue.upsertJobScheduler(
      stored.id,
      stored.every !== undefined
        ? { every: stored.every }
        : { pattern: stored.cron as string, tz: stored.tz ?? 'UTC' },
      { name: stored.task, data, opts: stored.opts ?? this.#access.jobOptions },
    );
  }

  #notFound(id: string): ScheduleNotFoundError {
    return new ScheduleNotFoundError(id, `queue ${this.#access.queueName}`);
  }
}

function parseStored(text: string): StoredSchedule | undefined {
  try {
    const value = JSON.parse(text) as StoredSchedule;
    return value !== null && typeof value === 'object' && typeof value.id === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

function decodeArgs(args: Json | undefined): unknown[] {
  if (args === undefined) return [];
  try {
    const value = decodeValue(args);
    return Array.isArray(value) ? value : [value];
  } catch {
    return [];
  }
}

function timingOf(stored: StoredSchedule): ScheduleTiming {
  return stored.every !== undefined
    ? { every: stored.every, missed: stored.missed }
    : { cron: stored.cron as string, tz: stored.tz ?? 'UTC', missed: stored.missed };
}

function toInfo(stored: StoredSchedule, next: number | undefined): ScheduleInfo {
  const timing = timingOf(stored);
  return {
    id: stored.id,
    task: stored.task,
    ...(stored.every !== undefined ? { every: stored.every } : { cron: stored.cron, tz: stored.tz }),
    missed: stored.missed,
    paused: stored.paused,
    next: stored.paused || next === undefined ? undefined : new Date(next),
    args: decodeArgs(stored.args),
    timing: describeTiming(timing),
  } as ScheduleInfo;
}

/**
 * For the worker: the value a scheduled job completes with, unrun, when its schedule's policy
 * is `'skip'` and its window has passed; undefined when it should run. The job's due time is
 * in its id, `repeat:<schedule id>:<due ms>` (BullMQ's form for a job scheduler's jobs).
 */
export async function missedRun(
  jobId: string | undefined,
  data: unknown,
  now = Date.now(),
): Promise<{ skipped: 'missed window'; schedule: string; due: string } | undefined> {
  const mark = (data as { schedule?: Partial<ScheduleMark> } | null)?.schedule;
  if (mark === undefined || mark === null || typeof mark !== 'object' || mark.missed !== 'skip')
    return undefined;
  const due = /^repeat:.+:(\d+)$/.exec(jobId ?? '');
  if (due === null) return undefined;
  const dueMs = Number(due[1]);
  const timing: ScheduleTiming | undefined =
    typeof mark.every === 'number'
      ? { every: mark.every, missed: 'skip' }
      : typeof mark.cron === 'string'
        ? { cron: mark.cron, tz: mark.tz ?? 'UTC', missed: 'skip' }
        : undefined;
  if (timing === undefined || !(await windowPassed(timing, dueMs, now))) return undefined;
  return { skipped: 'missed window', schedule: String(mark.id), due: new Date(dueMs).toISOString() };
}
