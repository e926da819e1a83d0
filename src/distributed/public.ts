/**
 * The public face of the distributed pieces. BullMQ and ioredis load only when one of these
 * is called (or a pool uses backend 'redis'), so importing taskmill stays cheap everywhere,
 * worker threads included.
 */
import { assertFeatureInstalled } from '../core/optional-packages.js';
import type { QueueAdmin, QueueAdminOptions } from './queue-admin.js';
import type { RedisWorker, WorkerOptions } from './worker.js';

/** Starts a worker in this process (what `taskmill worker` runs); `close()` ends it. */
export async function startWorker(options: WorkerOptions): Promise<RedisWorker> {
  assertFeatureInstalled('redisWorker');
  const { startWorker: start } = await import('./worker.js');
  return start(options);
}

/** Opens a queue for looking after it: counts, failed jobs, retry, remove (what `taskmill queue` runs). */
export async function openQueueAdmin(options: QueueAdminOptions): Promise<QueueAdmin> {
  assertFeatureInstalled('queueAdmin');
  const { openQueueAdmin: open } = await import('./queue-admin.js');
  return open(options);
}
