/** Turns taskmill's enqueue options and pool settings into BullMQ job options, checking each. */
import type { JobsOptions } from 'bullmq';
import type { EnqueueOptions } from '../core/backend.js';
import { InvalidArgumentError } from '../core/errors.js';
import { assertKnownKeys } from '../core/option-keys.js';

const ENQUEUE_KEYS: readonly (keyof EnqueueOptions)[] = [
  'attempts',
  'backoff',
  'delay',
  'priority',
  'jobId',
  'timeout',
];

export interface KeepJobs {
  age?: number;
  count?: number;
}

export const DEFAULT_KEEP_COMPLETED: KeepJobs = { age: 3600, count: 10_000 };
export const DEFAULT_KEEP_FAILED: KeepJobs = { age: 7 * 24 * 3600, count: 10_000 };
const JOB_ID = /^[A-Za-z0-9_.@:-]{1,200}$/;

export function keepJobs(name: string, value: unknown, fallback: KeepJobs): KeepJobs {
  if (value === undefined) return fallback;
  if (value === null || typeof value !== 'object') {
    throw new InvalidArgumentError(
      `${name} must be { age: seconds, count: jobs }, e.g. { age: 3600, count: 1000 }`,
    );
  }
  assertKnownKeys(value, ['age', 'count'], name);
  const { age, count } = value as KeepJobs;
  for (const [key, n] of [
    ['age', age],
    ['count', count],
  ] as const) {
    if (n !== undefined && !(Number.isInteger(n) && n >= 0)) {
      throw new InvalidArgumentError(`${name}.${key} must be a whole number >= 0, got ${String(n)}`);
    }
  }
  return { ...(age !== undefined ? { age } : {}), ...(count !== undefined ? { count } : {}) };
}

/** BullMQ options for a job enqueued with `pool.enqueue(task, args, options)`. */
export function toJobOptions(options: EnqueueOptions, base: JobsOptions): JobsOptions {
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError(
      'enqueue options must be an object, e.g. { attempts: 3, backoff: "exponential" }',
    );
  }
  assertKnownKeys(options, ENQUEUE_KEYS, 'enqueue options');
  const out: JobsOptions = { ...base };
  if (options.attempts !== undefined) {
    if (!(Number.isInteger(options.attempts) && options.attempts >= 1 && options.attempts <= 1000)) {
      throw new InvalidArgumentError(
        `attempts must be a whole number from 1 to 1000, got ${String(options.attempts)}`,
      );
    }
    out.attempts = options.attempts;
  }
  if (options.backoff !== undefined) {
    const backoff =
      typeof options.backoff === 'string' ? { type: options.backoff, delay: 1000 } : options.backoff;
    if (backoff !== null && typeof backoff === 'object')
      assertKnownKeys(backoff, ['type', 'delay'], 'backoff');
    if (
      backoff === null ||
      typeof backoff !== 'object' ||
      (backoff.type !== 'exponential' && backoff.type !== 'fixed') ||
      !(typeof backoff.delay === 'number' && backoff.delay >= 0 && Number.isFinite(backoff.delay))
    ) {
      throw new InvalidArgumentError(
        "backoff must be 'exponential', 'fixed', or { type: 'exponential' | 'fixed', delay: ms }",
      );
    }
    out.backoff = { type: backoff.type, delay: backoff.delay };
  }
  if (options.delay !== undefined) {
    if (!(typeof options.delay === 'number' && options.delay >= 0 && Number.isFinite(options.delay))) {
      throw new InvalidArgumentError(`delay must be a number of ms >= 0, got ${String(options.delay)}`);
    }
    out.delay = options.delay;
  }
  if (options.priority !== undefined) {
    if (!(Number.isInteger(options.priority) && options.priority >= 1 && options.priority <= 2_097_152)) {
      throw new InvalidArgumentError(
        `priority must be a whole number from 1 (highest) to 2097152, got ${String(options.priority)}`,
      );
    }
    out.priority = options.priority;
  }
  if (options.jobId !== undefined) {
    if (typeof options.jobId !== 'string' || !JOB_ID.test(options.jobId) || /^\d+$/.test(options.jobId)) {
      throw new InvalidArgumentError(
        `jobId ${JSON.stringify(options.jobId)} is not valid: use 1-200 letters, digits, and . _ - @ : (not only digits, which BullMQ keeps for its own ids)`,
      );
    }
    out.jobId = options.jobId;
  }
  if (options.timeout !== undefined && !(options.timeout > 0 && Number.isFinite(options.timeout))) {
    throw new InvalidArgumentError(`timeout must be a positive number of ms, got ${String(options.timeout)}`);
  }
  return out;
}
