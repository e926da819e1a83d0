/**
 * `pool.schedule()` and `pool.schedules()`: on Redis, job schedulers in the queue
 * (redis-schedules.ts); on every other backend, timers in this process (local-schedules.ts).
 */
import type { Backend, BackendName } from '../core/backend.js';
import { InvalidArgumentError } from '../core/errors.js';
import type { Job } from '../core/job.js';
import { describeTask, isTaskRef, type Task } from '../core/task.js';
import { eventsKey } from '../distributed/queue-keys.js';
import { checkPayloadSize, encodeValue } from '../distributed/wire-codec.js';
import { LocalSchedules } from './local-schedules.js';
import { RunEvents } from './redis-run-events.js';
import { type RedisScheduleAccess, RedisSchedules } from './redis-schedules.js';
import type { Schedule, ScheduleInfo } from './schedule.js';
import { resolveTiming, type ScheduleOptions, scheduleId } from './spec.js';

/** What schedules need of their pool. */
export interface ScheduleHost {
  readonly backend: BackendName;
  ready(): Promise<Backend>;
  /** Refuses a task this backend cannot run, or arguments it cannot send (as apply() would). */
  check(task: Task<never[], unknown>, args: unknown[]): void;
  submit(task: Task<never[], unknown>, args: unknown[]): Job<unknown>;
  /** Redis: a Job following the job of this id (pool.job). */
  follow(id: string): Job<unknown>;
  /** The timeout each run gets (the task reference's, else the pool's). */
  timeoutOf(task: Task<never[], unknown>): number | undefined;
}

interface WithScheduleAccess {
  scheduleAccess(): RedisScheduleAccess;
}

export class PoolSchedules {
  readonly #host: ScheduleHost;
  #local: LocalSchedules | undefined;
  #redis: Promise<RedisSchedules> | undefined;

  constructor(host: ScheduleHost) {
    this.#host = host;
  }

  async add(task: Task<never[], unknown>, options: ScheduleOptions, args: unknown[]): Promise<Schedule> {
    const timing = await resolveTiming(options);
    this.#host.check(task, args);
    const name = describeTask(task);
    if (this.#host.backend !== 'redis') {
      const id = scheduleId(options.id, name, timing, args);
      return this.#localSchedules().add({ id, task: name, run: task, args: [...args], timing });
    }
    if (!isTaskRef(task))
      throw new InvalidArgumentError(
        'the redis backend schedules task references only (tasks(url).name), not functions',
      );
    const store = await this.#redisSchedules();
    const encoded = encodeValue(args, 'args');
    checkPayloadSize(encoded, store.maxPayloadBytes, `the arguments of ${name}`);
    const id = scheduleId(options.id, task.id, timing, encoded);
    const timeout = this.#host.timeoutOf(task);
    return store.upsert({
      id,
      task: task.id,
      args: encoded,
      ...(timing.every !== undefined ? { every: timing.every } : { cron: timing.cron, tz: timing.tz }),
      missed: timing.missed,
      ...(timeout !== undefined ? { timeout } : {}),
    });
  }

  async list(): Promise<ScheduleInfo[]> {
    if (this.#host.backend === 'redis') return (await this.#redisSchedules()).list();
    return this.#local?.list() ?? [];
  }

  /** The pool closed: local timers end; Redis schedules live on in Redis, their handles report no more runs. */
  stop(): void {
    this.#local?.stop();
    this.#redis?.then(
      (store) => store.close(),
      () => {},
    );
  }

  #localSchedules(): LocalSchedules {
    this.#local ??= new LocalSchedules({
      submit: (args, definition) => this.#host.submit(definition.run as Task<never[], unknown>, [...args]),
    });
    return this.#local;
  }

  #redisSchedules(): Promise<RedisSchedules> {
    this.#redis ??= this.#host.ready().then((backend) => {
      const access = (backend as Partial<WithScheduleAccess>).scheduleAccess;
      if (access === undefined) throw new InvalidArgumentError('this backend keeps no schedules');
      const granted = access.call(backend);
      const events = new RunEvents(
        () => granted.client,
        eventsKey(granted.prefix, granted.queueName),
        (id) => this.#host.follow(id),
      );
      return new RedisSchedules(granted, events);
    });
    return this.#redis;
  }
}
