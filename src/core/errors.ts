/**
 * Every error taskmill raises is a TaskmillError with a stable `code`.
 * Errors thrown by tasks keep their own class name, message, code, cause and stack
 * (see error-codec.ts); the classes here describe what happened around a task.
 */
export class TaskmillError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A value passed to the pool or a task is not acceptable; the message says which and how to fix it. */
export class InvalidArgumentError extends TaskmillError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_TASKMILL_INVALID_ARGUMENT', message, options);
  }
}

/** A task argument cannot cross to a worker thread, a child process or a remote worker. */
export class UncloneableArgumentError extends TaskmillError {
  /** Path of the offending value, e.g. `args[1].callback`. */
  readonly path: string;

  constructor(path: string, reason: string) {
    super('ERR_TASKMILL_UNCLONEABLE_ARGUMENT', `${path} cannot be sent to a worker: ${reason}`);
    this.path = path;
  }
}

/** A task's result cannot cross back from its worker thread, child process or remote worker intact. */
export class UncloneableResultError extends TaskmillError {
  /** Path of the offending value, e.g. `result.callback`. */
  readonly path: string;

  constructor(path: string, reason: string) {
    super(
      'ERR_TASKMILL_UNCLONEABLE_RESULT',
      `the task's ${path} cannot be sent back from its worker: ${reason}`,
    );
    this.path = path;
  }
}

/** The pool was closed or terminated; no new work is accepted. */
export class PoolClosedError extends TaskmillError {
  constructor(message = 'the pool is closed: create a new Pool to submit more tasks') {
    super('ERR_TASKMILL_POOL_CLOSED', message);
  }
}

/** The pool's bounded queue is full (`maxQueue`); await `pool.whenQueueHasRoom()` or use `apply`/`map`, which wait. */
export class QueueFullError extends TaskmillError {
  constructor(maxQueue: number) {
    super(
      'ERR_TASKMILL_QUEUE_FULL',
      `the queue is full (maxQueue=${maxQueue}): await pool.whenQueueHasRoom() before submit(), or use apply()/map(), which wait for room`,
    );
  }
}

/** A task ran longer than its timeout. */
export class TaskTimeoutError extends TaskmillError {
  readonly timeout: number;
  readonly task: string;

  constructor(task: string, timeout: number, message = `task ${task} did not finish within ${timeout} ms`) {
    super('ERR_TASKMILL_TIMEOUT', message);
    this.timeout = timeout;
    this.task = task;
  }
}

/** A task was cancelled: its AbortSignal fired, `job.cancel()` was called, or the pool was terminated. */
export class TaskAbortedError extends TaskmillError {
  constructor(task: string, reason?: unknown) {
    super('ERR_TASKMILL_ABORTED', `task ${task} was cancelled${describeReason(reason)}`, { cause: reason });
  }
}

/** The worker thread or process running a task died before the task finished. */
export class WorkerCrashedError extends TaskmillError {
  /** Ids of the tasks the worker held when it died, e.g. `tasks#square`. */
  readonly tasks: readonly string[];
  readonly exitCode: number | null;
  readonly signal: string | null;

  constructor(
    tasks: readonly string[],
    detail: { exitCode?: number | null; signal?: string | null; cause?: unknown; what?: string },
  ) {
    const how =
      detail.signal != null
        ? `was killed by ${detail.signal}`
        : detail.exitCode != null
          ? `exited with code ${detail.exitCode}`
          : 'died';
    const causeText = detail.cause instanceof Error ? `: ${detail.cause.message}` : '';
    super(
      'ERR_TASKMILL_WORKER_CRASHED',
      `the ${detail.what ?? 'worker'} running ${tasks.join(', ') || 'a task'} ${how}${causeText}; the pool replaced it`,
      { cause: detail.cause },
    );
    this.tasks = tasks;
    this.exitCode = detail.exitCode ?? null;
    this.signal = detail.signal ?? null;
  }
}

/** The module or export a task names cannot be loaded, or a remote worker does not know it. */
export class UnknownTaskError extends TaskmillError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_TASKMILL_UNKNOWN_TASK', message, options);
  }
}

/** A distributed job disappeared (for example Redis restarted empty) and will never finish. */
export class JobLostError extends TaskmillError {
  readonly jobIds: readonly string[];

  constructor(jobIds: readonly string[], why: string) {
    super('ERR_TASKMILL_JOB_LOST', `job(s) ${jobIds.join(', ')} were lost: ${why}`);
    this.jobIds = jobIds;
  }
}

/** `job.get(timeoutMs)` waited longer than asked; the job itself keeps running. */
export class WaitTimeoutError extends TaskmillError {
  constructor(timeout: number) {
    super(
      'ERR_TASKMILL_WAIT_TIMEOUT',
      `the result was not ready within ${timeout} ms (the job keeps running)`,
    );
  }
}

/**
 * A feature needs an optional package that is not installed (taskmill keeps its heavy parts
 * optional: BullMQ and ioredis for Redis, undici and cheerio for the downloader, and so on).
 * The message names the feature and the `npm install` command that fixes it.
 */
export class MissingDependencyError extends TaskmillError {
  /** The npm packages to install, e.g. `['bullmq', 'ioredis']`. */
  readonly packages: readonly string[];
  /** The command that installs them, e.g. `npm install bullmq@^6.7.0 ioredis@^6.0.0`. */
  readonly install: string;

  constructor(feature: string, packages: readonly string[], install: string) {
    super(
      'ERR_TASKMILL_MISSING_DEPENDENCY',
      `${feature} needs ${listOf(packages)}, which ${packages.length === 1 ? 'is' : 'are'} not installed (taskmill keeps ${packages.length === 1 ? 'it' : 'them'} optional): ${install}`,
    );
    this.packages = packages;
    this.install = install;
  }
}

function listOf(names: readonly string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

function describeReason(reason: unknown): string {
  if (reason === undefined) return '';
  if (reason instanceof Error) return `: ${reason.message}`;
  return `: ${String(reason)}`;
}
