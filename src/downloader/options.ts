/** Download options shared by `download()` and `crawl()`: defaults and validation. */
import { randomUUID } from 'node:crypto';
import type { BackendName } from '../core/backend.js';
import { InvalidArgumentError } from '../core/errors.js';
import { assertKnownKeys } from '../core/option-keys.js';
import type { PoolOptions } from '../pool/pool-options.js';
import type { DownloadSettings } from './types.js';

export const DEFAULT_USER_AGENT = 'taskmill-downloader/0.1 (+https://github.com/taskmill)';

export interface DownloadOptions {
  /** Output folder; created if missing. Default `images`. */
  readonly out?: string;
  /** Execution model; `auto` picks `async` (downloads are I/O-bound). Default `async`. */
  readonly backend?: BackendName | 'auto';
  /** Downloads in flight at once, on every backend (threads/processes: in all, over the workers). Default 16. */
  readonly concurrency?: number;
  /**
   * Worker threads or processes (threads, processes); each keeps concurrency / workers downloads
   * in flight, so it must divide the concurrency. Default: the most, up to 8 (the seeds' 8
   * threads), that divide it.
   */
  readonly workers?: number;
  /** Most connections to one host at a time, in all. Default: concurrency. */
  readonly connectionsPerHost?: number;
  /** Requests per second in all (token bucket); 0 = unlimited. Default 0. */
  readonly rate?: number;
  /** Retries after the first attempt. Default 3. */
  readonly retries?: number;
  /** First backoff delay in ms (doubles per retry, with jitter). Default 250. */
  readonly backoff?: number;
  /** Longest backoff or Retry-After wait, ms. Default 30,000. */
  readonly maxBackoff?: number;
  /** Connect timeout, ms. Default 10,000. */
  readonly connectTimeout?: number;
  /** Longest silence waiting for headers or between body chunks, ms. Default 30,000. */
  readonly idleTimeout?: number;
  readonly userAgent?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Report bytes of a large file every this many bytes. Default 1 MiB. */
  readonly progressEvery?: number;
  /** Cancels the run: what is queued is dropped, running downloads stop (their .part files stay). */
  readonly signal?: AbortSignal;
  /**
   * redis backend: seconds without a worker on the queue after which the run fails with
   * NoWorkerError. Default: wait for ever (a `warning` event says so after a few seconds).
   */
  readonly waitForWorker?: number;
  /** More pool options, e.g. `connection` and `queue` for the redis backend. */
  readonly pool?: Omit<
    PoolOptions,
    'backend' | 'initializer' | 'initializerArgs' | 'concurrency' | 'workers'
  >;
}

/** Every key of DownloadOptions: anything else is a typo, refused by name. */
export const DOWNLOAD_OPTION_KEYS = [
  'out',
  'backend',
  'concurrency',
  'workers',
  'connectionsPerHost',
  'rate',
  'retries',
  'backoff',
  'maxBackoff',
  'connectTimeout',
  'idleTimeout',
  'userAgent',
  'headers',
  'progressEvery',
  'waitForWorker',
  'signal',
  'pool',
] as const satisfies readonly (keyof DownloadOptions)[];

/** The pool options a download may set (the downloader sets backend, workers, concurrency, initializer). */
const POOL_PASS_THROUGH_KEYS = [
  'timeout',
  'maxQueue',
  'idleTimeout',
  'resourceLimits',
  'execArgv',
  'env',
  'connection',
  'queue',
  'prefix',
  'inFlight',
  'maxPayloadBytes',
  'keepCompleted',
  'keepFailed',
  'lostJobCheckInterval',
  'connectTimeout',
] as const satisfies readonly (keyof PoolOptions)[];

/** Refuses a non-object or a key nobody reads in `options` (and in its `pool`). */
export function checkOptionKeys(options: unknown, known: readonly string[], where: string): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidArgumentError(`${where} must be an object`);
  }
  assertKnownKeys(options, known, where);
  const pool = (options as { pool?: unknown }).pool;
  if (pool === undefined) return;
  if (pool === null || typeof pool !== 'object' || Array.isArray(pool)) {
    throw new InvalidArgumentError(`${where}: pool must be an object of pool options`);
  }
  assertKnownKeys(pool, POOL_PASS_THROUGH_KEYS, `${where}.pool`);
}

export interface ResolvedRun {
  readonly backend: BackendName;
  readonly out: string;
  readonly concurrency: number;
  readonly workers: number;
  readonly connectionsPerHost: number;
  readonly rate: number;
  readonly retries: number;
  readonly backoff: number;
  readonly maxBackoff: number;
  readonly connectTimeout: number;
  readonly idleTimeout: number;
  readonly userAgent: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly progressEvery: number;
  readonly waitForWorker: number | undefined;
  /** With `backend: 'auto'`: what it picked and why, in one line. */
  readonly backendReason?: string;
}

function whole(name: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number' && Number.isInteger(value) && value >= min) return value;
  throw new InvalidArgumentError(`${name} must be a whole number of at least ${min}, got ${String(value)}`);
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  throw new InvalidArgumentError(`${name} must be a non-negative number, got ${String(value)}`);
}

const BACKENDS = ['sequential', 'async', 'threads', 'processes', 'redis', 'auto'];

/**
 * Workers when none are asked for: the most, up to 8 (the seeds' 8 threads), that divide the
 * concurrency evenly, so that every worker runs the same share and the shares add up to it.
 */
export function defaultWorkers(concurrency: number): number {
  for (let workers = Math.min(concurrency, 8); workers > 1; workers--) {
    if (concurrency % workers === 0) return workers;
  }
  return 1;
}

/** Why `auto` picks async for downloads. */
function autoReason(concurrency: number): string {
  return `--backend auto picked async: downloads wait on the network, not the CPU, so one event loop keeps all ${concurrency} in flight without the start-up and copies of threads or processes`;
}

/** Nearby settings that divide evenly, for the error message: "concurrency 8 or 12, or workers 2 or 5". */
function suggestions(concurrency: number, workers: number): string {
  const below = Math.floor(concurrency / workers) * workers;
  const above = Math.ceil(concurrency / workers) * workers;
  const counts = below >= 1 ? [below, above] : [above];
  let fewer = 1;
  for (let n = Math.min(workers, concurrency); n >= 1; n--) {
    if (concurrency % n === 0) {
      fewer = n;
      break;
    }
  }
  let more: number | undefined;
  for (let n = workers + 1; n <= concurrency; n++) {
    if (concurrency % n === 0) {
      more = n;
      break;
    }
  }
  const counts2 = more === undefined ? [fewer] : [fewer, more];
  return `concurrency ${counts.join(' or ')}, or workers ${counts2.join(' or ')}`;
}

export function resolveRun(
  options: DownloadOptions,
  known: readonly string[] = DOWNLOAD_OPTION_KEYS,
  where = 'download() options',
): ResolvedRun {
  checkOptionKeys(options, known, where);
  const backend = options.backend ?? 'async';
  if (!BACKENDS.includes(backend)) {
    throw new InvalidArgumentError(`unknown backend "${String(backend)}": use one of ${BACKENDS.join(', ')}`);
  }
  const concurrency = whole('concurrency', options.concurrency, 16, 1);
  const userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
  if (typeof userAgent !== 'string' || /[\r\n\0]/.test(userAgent)) {
    throw new InvalidArgumentError('userAgent must be one line of text');
  }
  const resolvedBackend = backend === 'auto' ? 'async' : backend;
  const workers = whole('workers', options.workers, defaultWorkers(concurrency), 1);
  if ((resolvedBackend === 'threads' || resolvedBackend === 'processes') && concurrency % workers !== 0) {
    throw new InvalidArgumentError(
      `concurrency ${concurrency} is not a multiple of workers ${workers}: each worker keeps ` +
        `concurrency / workers downloads in flight, so use ${suggestions(concurrency, workers)}`,
    );
  }
  return {
    backend: resolvedBackend,
    out: options.out ?? 'images',
    concurrency,
    workers,
    connectionsPerHost: whole('connectionsPerHost', options.connectionsPerHost, concurrency, 1),
    rate: nonNegative('rate', options.rate, 0),
    retries: whole('retries', options.retries, 3, 0),
    backoff: nonNegative('backoff', options.backoff, 250),
    maxBackoff: nonNegative('maxBackoff', options.maxBackoff, 30_000),
    connectTimeout: whole('connectTimeout', options.connectTimeout, 10_000, 1),
    idleTimeout: whole('idleTimeout', options.idleTimeout, 30_000, 1),
    userAgent,
    headers: options.headers ?? {},
    progressEvery: nonNegative('progressEvery', options.progressEvery, 1 << 20),
    waitForWorker:
      options.waitForWorker === undefined
        ? undefined
        : nonNegative('waitForWorker', options.waitForWorker, 0),
    ...(backend === 'auto' ? { backendReason: autoReason(concurrency) } : {}),
  };
}

/**
 * How many independent workers share the limits (each gets its share of rate and connections).
 * On redis the workers are not known in advance: they share the limits through Redis instead.
 */
export function workerShare(run: ResolvedRun): number {
  return run.backend === 'threads' || run.backend === 'processes' ? run.workers : 1;
}

export function workerSettings(
  run: ResolvedRun,
  outDir: string,
): DownloadSettings & { readonly runId: string } {
  const share = workerShare(run);
  return {
    runId: randomUUID(),
    outDir,
    retries: run.retries,
    backoff: run.backoff,
    maxBackoff: run.maxBackoff,
    connectTimeout: run.connectTimeout,
    idleTimeout: run.idleTimeout,
    userAgent: run.userAgent,
    connectionsPerHost: Math.max(1, Math.floor(run.connectionsPerHost / share)),
    rate: run.rate / share,
    headers: run.headers,
    progressEvery: run.progressEvery,
    ...(run.backend === 'redis' ? { sharedLimits: true } : {}),
  };
}
