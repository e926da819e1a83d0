/**
 * `--backend redis` with nobody to do the work: the run watches the queue's worker heartbeats
 * (the ones `taskmill worker` writes for the dashboard) and, when no live worker takes its
 * jobs, says so within a few seconds, with the command that starts one, then keeps waiting,
 * or, with `waitForWorker`, fails after that many seconds.
 */
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import type { ConnectionSpec } from '../distributed/connection-spec.js';
import { workerKey, workersKey } from '../observe/worker-watch.js';
import { NoWorkerError } from './errors.js';
import { clearRunLimits } from './shared-limits.js';

/** First look, then the warning this long after the start if still nobody (workers may be starting too). */
export const WARN_AFTER_MS = 2500;
const CHECK_EVERY_MS = 1000;
/** A heartbeat older than this many intervals (plus clock skew) is a worker gone. */
const MISSED_BEATS = 3;
const SKEW_MS = 2000;

export interface QueueWatchOptions {
  readonly connection: ConnectionSpec | undefined;
  readonly queue: string;
  readonly prefix: string;
  /** Seconds without a worker after which the run fails; undefined: wait for ever. */
  readonly waitForWorker: number | undefined;
  /** Called with the warning (once per spell without workers). */
  readonly warn: (code: string, message: string) => void;
  /** Called once when the run must fail. */
  readonly fail: (error: Error) => void;
}

/** Live workers of `queue`: a recent heartbeat and not marked stopped. */
export async function liveWorkers(
  client: Redis,
  prefix: string,
  queue: string,
  now = Date.now(),
): Promise<number> {
  const ids = await client.zrangebyscore(workersKey(prefix, queue), now - 3_600_000, '+inf', 'LIMIT', 0, 200);
  if (ids.length === 0) return 0;
  const pipeline = client.pipeline();
  for (const id of ids) pipeline.hmget(workerKey(prefix, queue, id), 'beatAt', 'interval', 'stopped');
  const rows = (await pipeline.exec()) ?? [];
  let live = 0;
  for (const [error, row] of rows) {
    if (error !== null) continue;
    const [beatAt, interval, stopped] = row as (string | null)[];
    if (stopped === '1' || beatAt === null) continue;
    if (now - Number(beatAt) <= MISSED_BEATS * Number(interval ?? 2000) + SKEW_MS) live++;
  }
  return live;
}

/** The command that starts a worker for this run's queue, ready to paste. */
export function workerCommand(queue: string, redisShown: string, secret: boolean): string {
  const tasks = fileURLToPath(new URL('./download-task.js', import.meta.url));
  const queueFlag = queue === 'taskmill' ? '' : ` --queue ${queue}`;
  // A password is never printed: the worker then takes the URL from the environment.
  const redisFlag = secret ? '' : ` --redis ${redisShown}`;
  const env = secret ? 'TASKMILL_REDIS_URL=<the same URL> ' : '';
  return `${env}taskmill worker --tasks ${tasks}${queueFlag}${redisFlag}`;
}

/** Watches until `stop()`; a worker seen ends the warning spell (a later spell warns again). */
export class QueueWatch {
  readonly #options: QueueWatchOptions;
  readonly #began = performance.now();
  #client: Redis | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  /** When the current spell without workers began (undefined: a worker is there). */
  #aloneSince: number | undefined;
  #warned = false;
  #shown = '';
  #secret = false;
  #started: Promise<Redis> | undefined;
  #finishing = false;

  constructor(options: QueueWatchOptions) {
    this.#options = options;
  }

  async start(): Promise<void> {
    this.#started = this.#connect();
    const client = await this.#started;
    if (this.#stopped) {
      // stop() disconnects nothing it did not have; finish() disconnects what it awaited.
      if (!this.#finishing) client.disconnect();
      return;
    }
    this.#client = client;
    this.#schedule(0);
  }

  async #connect(): Promise<Redis> {
    const { connect, describeConnection, redisOptions } = await import('../distributed/connection.js');
    const options = redisOptions(this.#options.connection);
    this.#shown = describeConnection(options);
    this.#secret = typeof options.password === 'string' && options.password !== '';
    const client = await connect(options, 'download-watch');
    client.on('error', () => {});
    return client;
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#client?.disconnect();
    this.#client = undefined;
  }

  /** Stops watching and removes the run's shared limits from Redis. */
  async finish(runId: string): Promise<void> {
    this.#stopped = true;
    this.#finishing = true;
    clearTimeout(this.#timer);
    const client = this.#client ?? (await this.#started?.catch(() => undefined));
    this.#client = undefined;
    if (client === undefined) return;
    try {
      await clearRunLimits(client, this.#options.prefix, runId);
    } catch {
      // Redis away: the keys expire on their own.
    } finally {
      client.disconnect();
    }
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#check().then(
        () => this.#schedule(CHECK_EVERY_MS),
        () => this.#schedule(CHECK_EVERY_MS),
      );
    }, ms);
    this.#timer.unref();
  }

  async #check(): Promise<void> {
    const client = this.#client;
    if (client === undefined) return;
    const { prefix, queue, waitForWorker } = this.#options;
    const live = await liveWorkers(client, prefix, queue);
    if (this.#stopped) return;
    const now = performance.now();
    if (live > 0) {
      this.#aloneSince = undefined;
      this.#warned = false;
      return;
    }
    this.#aloneSince ??= now;
    const alone = now - this.#aloneSince;
    if (!this.#warned && now - this.#began >= WARN_AFTER_MS) {
      this.#warned = true;
      const then =
        waitForWorker === undefined
          ? 'waiting for one (--wait-for-worker <s> gives up after a while)'
          : `giving up after ${waitForWorker} s without one`;
      this.#options.warn(
        'ERR_TASKMILL_NO_WORKER',
        `no worker is consuming queue ${queue} on ${this.#shown}: start \`${workerCommand(queue, this.#shown, this.#secret)}\`; ${then}`,
      );
    }
    if (waitForWorker !== undefined && alone >= waitForWorker * 1000) {
      this.stop();
      this.#options.fail(
        new NoWorkerError(
          `no worker consumed queue ${queue} on ${this.#shown} for ${waitForWorker} s: start \`${workerCommand(queue, this.#shown, this.#secret)}\`, then run this again`,
        ),
      );
    }
  }
}
