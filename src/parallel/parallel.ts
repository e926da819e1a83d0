/**
 * `parallel(items, task, options)`: joblib's Parallel for TypeScript. One call starts a pool,
 * maps the task over the items (results in input order), and closes the pool.
 */
import { availableParallelism } from 'node:os';
import type { BackendName } from '../core/backend.js';
import { InvalidArgumentError } from '../core/errors.js';
import { assertKnownKeys } from '../core/option-keys.js';
import { assertFeatureInstalled } from '../core/optional-packages.js';
import { describeTask, isTaskRef, type Task } from '../core/task.js';
import type { ProgressUpdate } from '../core/task-context.js';
import { loadTaskFunction } from '../core/task-loader.js';
import type { MapProgress } from '../pool/map-run.js';
import { Pool, type PoolOptions } from '../pool/pool.js';
import { POOL_OPTION_KEYS } from '../pool/pool-options.js';
import { formatSeconds } from '../progress/format.js';
import { type AutoChoice, probeAndChoose } from './auto-choice.js';

export type { AutoChoice } from './auto-choice.js';

export interface ParallelProgress {
  readonly done: number;
  readonly total: number | undefined;
  readonly failed: number;
  readonly elapsedMs: number;
  /** A task's own report, when that is what this event is about. */
  readonly update?: ProgressUpdate;
  readonly index?: number;
}

export type ParallelEvent =
  | { readonly type: 'choice'; readonly choice: AutoChoice }
  | ({ readonly type: 'progress' } & ParallelProgress);

export interface ParallelOptions<R = unknown> {
  /** Execution model, or 'auto' to measure the first tasks and choose. Default 'auto'. */
  readonly backend?: BackendName | 'auto';
  /** Workers (threads, processes) or concurrency (async); -1 means all cores, as joblib's n_jobs=-1. */
  readonly jobs?: number;
  /** true: a bar on stderr (plain lines when stderr is not a terminal); or a callback. */
  readonly progress?: boolean | ((progress: ParallelProgress) => void);
  /** joblib-like "Done k of n | elapsed" lines on stderr, at 1, 2, 4, 8… items and at the end. */
  readonly verbose?: boolean;
  /** Return every outcome (PromiseSettledResult) instead of failing on the first error. */
  readonly settle?: boolean;
  readonly signal?: AbortSignal;
  /** Per-item timeout in ms. */
  readonly timeout?: number;
  /** Fixed batch size; default adaptive (as joblib's batch_size='auto'). */
  readonly chunkSize?: number;
  /** Passed to the pool: initializer, maxQueue, etc. */
  readonly pool?: Omit<PoolOptions, 'backend' | 'workers' | 'concurrency'>;
  /** Every choice and progress event. */
  readonly onEvent?: (event: ParallelEvent) => void;
  /** Used in the progress line; default the task's name. */
  readonly label?: string;
  /** Phantom, for the result type. */
  readonly __result?: R;
}

/** The results, in input order, with what `auto` chose (when it was asked to choose). */
/** Every key of ParallelOptions (but the phantom `__result`): any other is refused. */
const PARALLEL_OPTION_KEYS: readonly (keyof ParallelOptions)[] = [
  'backend',
  'jobs',
  'progress',
  'verbose',
  'settle',
  'signal',
  'timeout',
  'chunkSize',
  'pool',
  'onEvent',
  'label',
];

export type ParallelResults<R> = R[] & { readonly choice?: AutoChoice };

export function parallel<A, R>(
  items: Iterable<A> | AsyncIterable<A>,
  task: Task<[A], R>,
  options: ParallelOptions<R> & { settle: true },
): Promise<ParallelResults<PromiseSettledResult<R>>>;
export function parallel<A, R>(
  items: Iterable<A> | AsyncIterable<A>,
  task: Task<[A], R>,
  options?: ParallelOptions<R>,
): Promise<ParallelResults<R>>;
export async function parallel<A, R>(
  items: Iterable<A> | AsyncIterable<A>,
  task: Task<[A], R>,
  options: ParallelOptions<R> = {},
): Promise<ParallelResults<R | PromiseSettledResult<R>>> {
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError("parallel() options must be an object, e.g. { backend: 'auto' }");
  }
  assertKnownKeys(options, PARALLEL_OPTION_KEYS, 'parallel() options');
  if (options.pool !== undefined) {
    const own = ['backend', 'workers', 'concurrency'].find((key) => key in (options.pool as object));
    if (own !== undefined) {
      throw new InvalidArgumentError(
        `parallel() options.pool cannot set "${own}": give parallel() itself { backend, jobs } instead`,
      );
    }
    assertKnownKeys(
      options.pool,
      POOL_OPTION_KEYS.filter((key) => key !== 'backend' && key !== 'workers' && key !== 'concurrency'),
      'parallel() options.pool',
    );
  }
  const jobs = resolveJobs(options.jobs);
  // The bar's library is an optional package: a missing one is said before any work starts.
  if (options.progress === true) assertFeatureInstalled('progressBar');
  const list = await toArray(items);
  const total = list.length;
  const label = options.label ?? describeTask(task as Task<never[], unknown>);
  const startedAt = performance.now();
  // The bar's library loads only when a bar is asked for.
  const display =
    options.progress === true
      ? (await import('../progress/progress-display.js')).createProgressDisplay({ label })
      : undefined;
  const progressCallback = typeof options.progress === 'function' ? options.progress : undefined;
  /** A line on stderr: above the bar when there is one, so neither overwrites the other. */
  const say = (line: string) =>
    display === undefined ? process.stderr.write(`${line}\n`) : display.log(line);
  let failed = 0;
  let done = 0;
  let lastNote: string | undefined;
  let nextVerbose = 1;

  const emit = (progress: ParallelProgress) => {
    progressCallback?.(progress);
    options.onEvent?.({ type: 'progress', ...progress });
    if (progress.update?.message !== undefined) lastNote = progress.update.message;
    display?.update({
      done: progress.done,
      total,
      failed: progress.failed,
      ...(lastNote ? { note: lastNote } : {}),
    });
    if (
      options.verbose &&
      progress.update === undefined &&
      (progress.done >= nextVerbose || progress.done === total)
    ) {
      while (nextVerbose <= progress.done) nextVerbose *= 2;
      say(
        `[parallel(jobs=${jobs ?? 'auto'})]: Done ${progress.done} of ${total} | elapsed: ${formatSeconds(progress.elapsedMs / 1000)}`,
      );
    }
  };
  const onItemProgress = (progress: MapProgress) => {
    emit({
      done: done + progress.done,
      total,
      failed,
      elapsedMs: performance.now() - startedAt,
      ...(progress.update !== undefined ? { update: progress.update } : {}),
      ...(progress.index !== undefined ? { index: progress.index } : {}),
    });
  };

  let backend: BackendName;
  let choice: AutoChoice | undefined;
  let head: PromiseSettledResult<R>[] = [];
  let rest = list;
  let reusable: Pool | undefined;
  if ((options.backend ?? 'auto') === 'auto') {
    // One item per core, measured together.
    const probeSize = Math.min(total, Math.max(2, availableParallelism()));
    const probe = list.slice(0, probeSize);
    // Load the task module first, so the probe measures the task, not the import.
    if (isTaskRef(task)) await loadTaskFunction(task.module, task.name);
    // The probe runs on the event loop; when that is the choice, the same pool goes on.
    const probePool = new Pool({ ...options.pool, backend: 'async', concurrency: jobs ?? 64 });
    try {
      const outcome = await probeAndChoose(
        task,
        probe,
        total - probeSize,
        jobs,
        (item) => probePool.apply(task, item),
        async () => {
          for (let i = 0; i < 3; i++) await probePool.apply(() => undefined);
        },
      );
      head = outcome.settled;
      choice = outcome.choice;
    } finally {
      if (choice?.backend !== 'async') {
        probePool.close();
        await probePool.join();
      }
    }
    if (choice.backend === 'async') reusable = probePool;
    backend = choice.backend;
    rest = list.slice(probeSize);
    options.onEvent?.({ type: 'choice', choice });
    if (options.verbose) say(`[parallel]: chose ${choice.backend} x${choice.jobs}: ${choice.reason}`);
    done = head.length;
    for (const outcome of head) if (outcome.status === 'rejected') failed++;
    if (!options.settle) {
      const firstFailure = head.find((outcome) => outcome.status === 'rejected');
      if (firstFailure !== undefined) {
        reusable?.close();
        throw (firstFailure as PromiseRejectedResult).reason;
      }
    }
  } else {
    backend = options.backend as BackendName;
  }

  const pool =
    reusable ??
    new Pool({
      ...options.pool,
      backend,
      ...(backend === 'async'
        ? { concurrency: choice?.jobs ?? jobs ?? 64 }
        : { workers: choice?.jobs ?? jobs ?? availableParallelism() }),
    });
  const mapOptions = {
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
    ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
    ...(options.chunkSize !== undefined ? { chunkSize: options.chunkSize } : {}),
    onProgress: onItemProgress,
  };
  try {
    let tail: (R | PromiseSettledResult<R>)[];
    if (options.settle) {
      const settled = await pool.mapSettled(task, rest, mapOptions);
      for (const outcome of settled) if (outcome.status === 'rejected') failed++;
      tail = settled;
    } else {
      tail = await pool.map(task, rest, mapOptions);
    }
    const results = [
      ...(options.settle ? head : head.map((outcome) => (outcome as PromiseFulfilledResult<R>).value)),
      ...tail,
    ] as ParallelResults<R | PromiseSettledResult<R>>;
    if (choice !== undefined) Object.defineProperty(results, 'choice', { value: choice, enumerable: false });
    display?.stop({ done: total, total, failed });
    return results;
  } catch (error) {
    display?.stop({ done, total, failed: failed + 1 });
    throw error;
  } finally {
    pool.close();
    await pool.join();
  }
}

function resolveJobs(jobs: number | undefined): number | undefined {
  if (jobs === undefined) return undefined;
  if (jobs === -1) return availableParallelism();
  if (Number.isInteger(jobs) && jobs >= 1) return jobs;
  throw new InvalidArgumentError(
    `jobs must be a whole number of at least 1, or -1 for all cores; got ${jobs}`,
  );
}

async function toArray<A>(items: Iterable<A> | AsyncIterable<A>): Promise<A[]> {
  if (Array.isArray(items)) return items;
  if (items !== null && typeof items === 'object') {
    if (Symbol.iterator in items) return Array.from(items);
    if (Symbol.asyncIterator in items) {
      const out: A[] = [];
      for await (const item of items) out.push(item);
      return out;
    }
  }
  throw new InvalidArgumentError('parallel() takes an array, an iterable or an async iterable of items');
}
