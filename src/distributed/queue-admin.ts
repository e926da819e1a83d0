/**
 * Looking after a queue (`taskmill queue`): counts by state, failed jobs with their errors,
 * retrying and removing jobs. Errors shown here are decoded from what workers stored.
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { SerializedError } from '../core/error-codec.js';
import { InvalidArgumentError } from '../core/errors.js';
import { assertKnownKeys } from '../core/option-keys.js';
import { queuesKey } from '../observe/worker-watch.js';
import { RedisSchedules } from '../schedules/redis-schedules.js';
import type { ScheduleInfo } from '../schedules/schedule.js';
import { connect, redisOptions } from './connection.js';
import type { ConnectionSpec } from './connection-spec.js';
import { describeFailure, parseFailure } from './failure-codec.js';
import { DEFAULT_KEEP_COMPLETED, DEFAULT_KEEP_FAILED } from './job-options.js';
import { jobKey, validatePrefix, validateQueueName } from './queue-keys.js';
import { DEFAULT_MAX_PAYLOAD, toKeep } from './redis-backend.js';

export interface QueueAdminOptions {
  readonly queue: string;
  readonly connection?: ConnectionSpec;
  readonly prefix?: string;
  readonly connectTimeout?: number;
}

export interface QueueCounts {
  /** Ready to run (including prioritized jobs). */
  readonly waiting: number;
  readonly active: number;
  readonly completed: number;
  readonly failed: number;
  /** Waiting for their delay or backoff. */
  readonly delayed: number;
}

export interface FailedJob {
  readonly id: string;
  /** `moduleId#name`. */
  readonly task: string;
  readonly attemptsMade: number;
  readonly failedAt: Date | undefined;
  /** The task's error as the worker stored it (class name, message, code, stack). */
  readonly error: SerializedError;
  /** `Class [code]: message`, for people. */
  readonly summary: string;
}

export interface QueueAdmin {
  counts(): Promise<QueueCounts>;
  /** Failed jobs, newest first (`limit` of them, default 50). */
  failed(limit?: number): Promise<FailedJob[]>;
  /** Puts a failed (or completed) job back to run again. */
  retry(id: string): Promise<void>;
  /** Puts every failed job back; returns how many there were. */
  retryAllFailed(): Promise<number>;
  /** Removes a job that is not running; false when there was no such job (or it is running). */
  remove(id: string): Promise<boolean>;
  /**
   * Deletes the queue from Redis: every job record (waiting, finished, failed), its events and
   * its counters. Refused while jobs are running, unless `force` (their workers then fail them).
   */
  obliterate(options?: { force?: boolean }): Promise<void>;
  /** The queue's schedules (`pool.schedule()` on Redis): list, pause, resume, remove (`taskmill queue schedules`). */
  readonly schedules: ScheduleAdmin;
  close(): Promise<void>;
}

export interface ScheduleAdmin {
  /** Every schedule of the queue, by id. */
  list(): Promise<ScheduleInfo[]>;
  /** Throws ScheduleNotFoundError for an unknown id. */
  pause(id: string): Promise<void>;
  resume(id: string): Promise<void>;
  /** False when there was no such schedule. */
  remove(id: string): Promise<boolean>;
}

export async function openQueueAdmin(options: QueueAdminOptions): Promise<QueueAdmin> {
  if (options === null || typeof options !== 'object')
    throw new InvalidArgumentError("openQueueAdmin takes an options object, e.g. { queue: 'images' }");
  assertKnownKeys(options, ['queue', 'connection', 'prefix', 'connectTimeout'], 'queue admin options');
  const name = validateQueueName(options.queue);
  const prefix = validatePrefix(options.prefix);
  const client: Redis = await connect(
    redisOptions(options.connection),
    `admin:${name}`,
    options.connectTimeout,
  );
  const queue = new Queue(name, { connection: client, prefix });
  queue.on('error', () => {});
  const job = async (id: string) => {
    if (typeof id !== 'string' || id === '')
      throw new InvalidArgumentError('give a job id, e.g. taskmill queue retry 42');
    const found = await queue.getJob(id);
    if (found === undefined) {
      throw new InvalidArgumentError(
        `no job ${JSON.stringify(id)} on queue ${name} (finished jobs expire: see keepCompleted/keepFailed)`,
      );
    }
    return found;
  };
  const schedules = new RedisSchedules({
    queue,
    client,
    prefix,
    queueName: name,
    jobOptions: {
      removeOnComplete: toKeep(DEFAULT_KEEP_COMPLETED),
      removeOnFail: toKeep(DEFAULT_KEEP_FAILED),
    },
    maxPayloadBytes: DEFAULT_MAX_PAYLOAD,
  });
  const scheduleId = (id: string) => {
    if (typeof id !== 'string' || id === '')
      throw new InvalidArgumentError('give a schedule id, e.g. taskmill queue schedules pause nightly');
    return id;
  };
  return {
    schedules: {
      list: () => schedules.list(),
      pause: (id) => schedules.pause(scheduleId(id)),
      resume: (id) => schedules.resume(scheduleId(id)),
      remove: (id) => schedules.remove(scheduleId(id)),
    },
    async counts() {
      const c = await queue.getJobCounts(
        'waiting',
        'prioritized',
        'active',
        'completed',
        'failed',
        'delayed',
      );
      return {
        waiting: (c.waiting ?? 0) + (c.prioritized ?? 0),
        active: c.active ?? 0,
        completed: c.completed ?? 0,
        failed: c.failed ?? 0,
        delayed: c.delayed ?? 0,
      };
    },
    async failed(limit = 50) {
      // Read field by field rather than through BullMQ's Job, which throws on a job whose data
      // is not JSON: such a job is exactly one an operator needs to see here.
      const ids = await queue.getRanges(['failed'], 0, Math.max(0, limit - 1), false);
      const pipeline = client.pipeline();
      for (const id of ids)
        pipeline.hmget(jobKey(prefix, name, id), 'name', 'atm', 'attemptsMade', 'finishedOn', 'failedReason');
      const replies = (await pipeline.exec()) ?? [];
      return ids.map((id, i) => {
        const [jobName, atm, attemptsMade, finishedOn, failedReason] = (replies[i]?.[1] ?? []) as (
          | string
          | null
        )[];
        return {
          id,
          task: jobName ?? '',
          attemptsMade: Number(attemptsMade ?? atm ?? 0),
          failedAt: finishedOn ? new Date(Number(finishedOn)) : undefined,
          error: parseFailure(failedReason),
          summary: describeFailure(failedReason),
        };
      });
    },
    async retry(id) {
      const found = await job(id);
      const state = await found.getState();
      if (state !== 'failed' && state !== 'completed') {
        throw new InvalidArgumentError(`job ${id} is ${state}: only failed or completed jobs can be retried`);
      }
      await found.retry(state);
    },
    async retryAllFailed() {
      const before = await queue.getJobCounts('failed');
      await queue.retryJobs({ state: 'failed', count: 1000 });
      return before.failed ?? 0;
    },
    async remove(id) {
      return (await queue.remove(id)) === 1;
    },
    async obliterate(options = {}) {
      await queue.obliterate({ force: options.force === true });
      // BullMQ knows its own keys only: taskmill's beside them (worker heartbeats, attempt
      // records) go too, and the queue leaves the set of queues the dashboard knows.
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:${name}:taskmill:*`, 'COUNT', 500);
        cursor = next;
        if (keys.length > 0) await client.del(...keys);
      } while (cursor !== '0');
      await client.srem(queuesKey(prefix), name);
    },
    async close() {
      await queue.close().catch(() => {});
      client.disconnect();
    },
  };
}
