/**
 * The Redis a worker takes its jobs from, made known to the tasks it runs (in this process and in
 * the threads or child processes of its local pool, which inherit the environment), so that a
 * task can share state with every other worker of the queue: e.g. the downloader's per-host
 * connection cap and request rate, which hold across machines. Callers never send a connection
 * in a job: each worker uses its own, the one it was started with.
 */
import type { ConnectionSpec } from './connection-spec.js';

export const WORKER_CONNECTION_ENV = 'TASKMILL_WORKER_CONNECTION';

export interface WorkerConnection {
  /** As the worker was given it (undefined: redis://127.0.0.1:6379). */
  readonly connection: ConnectionSpec | undefined;
  /** The worker's key prefix. */
  readonly prefix: string;
}

/** Called by a worker before it starts its local pool. */
export function publishWorkerConnection(connection: ConnectionSpec | undefined, prefix: string): void {
  process.env[WORKER_CONNECTION_ENV] = JSON.stringify({ connection: connection ?? null, prefix });
}

/** The connection of the worker running this task; undefined outside a redis worker. */
export function workerConnection(): WorkerConnection | undefined {
  const text = process.env[WORKER_CONNECTION_ENV];
  if (text === undefined || text === '') return undefined;
  const parsed = JSON.parse(text) as { connection: ConnectionSpec | null; prefix: string };
  return { connection: parsed.connection ?? undefined, prefix: parsed.prefix };
}
