/**
 * What the dashboard reads from Redis, as plain data types. Kept apart from redis-reader.ts
 * (which needs BullMQ) so that taskmill's public types compile without the optional Redis packages.
 */
export interface QueueCounts {
  readonly waiting: number;
  readonly active: number;
  readonly delayed: number;
  readonly completed: number;
  readonly failed: number;
}

export interface WorkerInfo {
  readonly queue: string;
  readonly id: string;
  readonly host: string;
  readonly pid: number;
  readonly concurrency: number;
  readonly backend: string;
  readonly startedAt: number;
  readonly beatAt: number;
  readonly done: number;
  readonly failed: number;
  readonly runningCount: number;
  readonly running: readonly { id: string; task: string; since: number }[];
  /** up: heartbeating; stopped: it said goodbye; gone: no heartbeat for 3 intervals. */
  readonly status: 'up' | 'stopped' | 'gone';
  /** Whether Redis lists the worker's connection (BullMQ's getWorkers). */
  readonly connected: boolean;
}

/** A job as a list shows it: short previews, sizes of what was cut. */
export interface JobRow {
  readonly id: string;
  readonly task: string;
  readonly createdAt: number | undefined;
  readonly startedAt: number | undefined;
  readonly finishedAt: number | undefined;
  readonly attemptsMade: number;
  readonly argsPreview: string;
  readonly argsBytes: number;
  readonly errorPreview: string;
  readonly resultPreview: string;
}

/** Raw fields of one job hash. */
export type JobHash = Readonly<Record<string, string>>;
