/** Redis key names shared by callers, workers and the admin commands. */
import { InvalidArgumentError } from '../core/errors.js';

export const DEFAULT_PREFIX = 'bull';
const NAME = /^[A-Za-z0-9_.@-]{1,100}$/;

export function validateQueueName(name: unknown): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new InvalidArgumentError(
      `queue name ${JSON.stringify(name)} is not valid: use 1-100 letters, digits, and . _ - @ (e.g. queue: 'images')`,
    );
  }
  return name;
}

export function validatePrefix(prefix: unknown): string {
  if (prefix === undefined) return DEFAULT_PREFIX;
  if (typeof prefix !== 'string' || !NAME.test(prefix)) {
    throw new InvalidArgumentError(
      `prefix ${JSON.stringify(prefix)} is not valid: use letters, digits, and . _ - @`,
    );
  }
  return prefix;
}

export const jobKey = (prefix: string, queue: string, id: string): string => `${prefix}:${queue}:${id}`;
export const eventsKey = (prefix: string, queue: string): string => `${prefix}:${queue}:events`;
/** Pub/sub channel on which callers ask workers to stop running jobs (a JSON array of ids). */
export const cancelChannel = (prefix: string, queue: string): string => `${prefix}:${queue}:taskmill:cancel`;
