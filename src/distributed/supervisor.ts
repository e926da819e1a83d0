/**
 * A supervised worker: this process starts the worker in a child process
 * (supervised-entry.ts) and watches it. When the child dies (a task called process.exit,
 * threw from a timer, crashed Node) or stops answering (a task blocks its event loop past the
 * lock duration, so it is killed), the supervisor hands the jobs it held back to the queue at
 * once, charges the crash to the job that caused it (crash-recovery.ts), and starts a new
 * child, waiting longer between starts while children keep dying young.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { inheritedExecArgv } from '../backends/processes/exec-argv.js';
import { forgetOnExit, killOnExit } from '../backends/processes/orphan-guard.js';
import { deserializeError, type SerializedError } from '../core/error-codec.js';
import { InvalidArgumentError } from '../core/errors.js';
import { connect, redisOptions } from './connection.js';
import { type CrashInfo, recoverCrashedJobs } from './crash-recovery.js';
import { BEAT_MS } from './supervised-entry-constants.js';
import { nextWorkerNumber, type RedisWorker, type ResolvedWorkerOptions, redactMessage } from './worker.js';

export type SupervisorMessage =
  | readonly ['start', ResolvedWorkerOptions, string]
  | readonly ['close']
  | readonly ['handBack'];

export type ChildMessage =
  | readonly ['ready', string, string | undefined]
  | readonly ['metrics', string]
  | readonly ['failed', SerializedError]
  | readonly ['log', string]
  | readonly ['beat', number]
  | readonly ['closed', number];

const ENTRY = new URL('./supervised-entry.js', import.meta.url);
/** A child that lived less than this is "dying young": the next start waits longer. */
const YOUNG_MS = 5000;
const MAX_RESTART_DELAY_MS = 5000;

interface Child {
  readonly process: ChildProcess;
  readonly startedAt: number;
  lockOwner: string | undefined;
  metricsUrl: string | undefined;
  metrics: string;
  processed: number;
  lastBeat: number;
  /** Set when the supervisor killed it for not answering. */
  killedBecause: string | undefined;
  readonly exited: Promise<CrashInfo>;
}

export async function superviseWorker(
  options: ResolvedWorkerOptions,
  log: (line: string) => void,
): Promise<RedisWorker> {
  checkCloneable(options.connection);
  const redis = redisOptions(options.connection);
  const id = `${hostname()}:${process.pid}:${nextWorkerNumber()}`;
  const client: Redis = await connect(redis, `supervisor:${options.queue}`, options.connectTimeout);
  const queue = new Queue(options.queue, { connection: client, prefix: options.prefix });
  queue.on('error', () => {});
  /** The watchdog's patience: a child whose event loop is stuck this long has lost its locks anyway. */
  const silenceMs = Math.max(options.lockDuration, 10 * BEAT_MS);
  let processedBefore = 0;
  let closing = false;
  let youngDeaths = 0;
  let restartTimer: NodeJS.Timeout | undefined;
  let current: Child | undefined;

  const startChild = (): Promise<Child> => {
    const proc = spawn(process.execPath, [...inheritedExecArgv(), ENTRY.pathname], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    killOnExit(proc);
    const exited = new Promise<CrashInfo>((resolve) => {
      proc.once('exit', (exitCode, signal) => {
        forgetOnExit(proc);
        resolve({
          exitCode,
          signal,
          ...(child.killedBecause !== undefined ? { reason: child.killedBecause } : {}),
        });
      });
    });
    const child: Child = {
      process: proc,
      startedAt: Date.now(),
      lockOwner: undefined,
      metricsUrl: undefined,
      metrics: '',
      processed: 0,
      lastBeat: Date.now(),
      killedBecause: undefined,
      exited,
    };
    return new Promise<Child>((resolve, reject) => {
      proc.on('message', (message: ChildMessage) => {
        switch (message[0]) {
          case 'ready':
            child.lockOwner = message[1];
            child.metricsUrl = message[2];
            child.lastBeat = Date.now();
            resolve(child);
            return;
          case 'failed':
            reject(deserializeError(message[1]));
            return;
          case 'log':
            log(message[1]);
            return;
          case 'metrics':
            child.metrics = message[1];
            return;
          case 'beat':
          case 'closed':
            child.processed = message[1];
            child.lastBeat = Date.now();
            return;
        }
      });
      exited.then((info) =>
        reject(new Error(`the worker process exited (${describeExit(info)}) before it was ready`)),
      );
      proc.send(['start', options, id] satisfies SupervisorMessage);
    });
  };

  const watchdog = setInterval(() => {
    const child = current;
    if (child === undefined || child.killedBecause !== undefined || closing) return;
    const silent = Date.now() - child.lastBeat;
    if (silent > silenceMs) {
      child.killedBecause = `it stopped responding for ${silent} ms: a task blocked its event loop`;
      log(`worker ${id}: worker process ${child.process.pid} ${child.killedBecause}; killing it`);
      child.process.kill('SIGKILL');
    }
  }, BEAT_MS);

  const onExit = async (child: Child, info: CrashInfo) => {
    processedBefore += child.processed;
    if (current === child) current = undefined;
    if (closing) return;
    log(`worker ${id}: worker process ${child.process.pid} died (${describeExit(info)})`);
    if (child.lockOwner !== undefined) {
      try {
        const outcome = await recoverCrashedJobs(
          client,
          queue,
          child.lockOwner,
          id,
          options.maxCrashes,
          info,
        );
        if (outcome.requeued.length + outcome.failed.length > 0) {
          log(
            `worker ${id}: ${outcome.culprit !== undefined ? `job ${outcome.culprit} crashed it; ` : ''}` +
              `handed back ${outcome.requeued.length} job(s)${outcome.failed.length > 0 ? `, failed ${outcome.failed.join(', ')} (crashed its worker ${options.maxCrashes} times)` : ''}`,
          );
        }
      } catch (error) {
        // Redis away: the jobs' locks expire and the stalled-job check of any worker recovers them.
        log(`worker ${id}: could not recover the jobs: ${redactMessage(error, redis.password)}`);
      }
    }
    youngDeaths = Date.now() - child.startedAt < YOUNG_MS ? youngDeaths + 1 : 0;
    scheduleStart(youngDeaths === 0 ? 0 : Math.min(MAX_RESTART_DELAY_MS, 100 * 2 ** (youngDeaths - 1)));
  };

  const adopt = (child: Child) => {
    current = child;
    // Started while close() ran: it goes at once.
    if (closing) child.process.send(['close'] satisfies SupervisorMessage);
    child.exited.then((info) => void onExit(child, info));
  };

  const scheduleStart = (delay: number) => {
    if (closing) return;
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      if (closing) return;
      startChild().then(adopt, (error: unknown) => {
        log(`worker ${id}: a new worker process failed to start: ${redactMessage(error, redis.password)}`);
        youngDeaths++;
        scheduleStart(Math.min(MAX_RESTART_DELAY_MS, 100 * 2 ** youngDeaths));
      });
    }, delay);
  };

  try {
    adopt(await startChild());
  } catch (error) {
    clearInterval(watchdog);
    await queue.close().catch(() => {});
    client.disconnect();
    throw error;
  }

  let closed: Promise<void> | undefined;
  return {
    id,
    queue: options.queue,
    get pid() {
      return current?.process.pid;
    },
    get processed() {
      return processedBefore + (current?.processed ?? 0);
    },
    metrics() {
      return current?.metrics ?? '';
    },
    get metricsUrl() {
      return current?.metricsUrl;
    },
    handBack() {
      current?.process.send(['handBack'] satisfies SupervisorMessage);
    },
    close() {
      closed ??= (async () => {
        closing = true;
        if (restartTimer !== undefined) clearTimeout(restartTimer);
        clearInterval(watchdog);
        const child = current;
        if (child?.process.connected) {
          child.process.send(['close'] satisfies SupervisorMessage);
          await child.exited;
        }
        await queue.close().catch(() => {});
        await client.quit().catch(() => client.disconnect());
      })();
      return closed;
    },
  };
}

function describeExit(info: CrashInfo): string {
  const how = info.signal !== null ? `killed by ${info.signal}` : `exit code ${info.exitCode}`;
  return info.reason !== undefined ? `${how}: ${info.reason}` : how;
}

/** The connection settings go to the child process: they must be data (no functions). */
function checkCloneable(connection: unknown): void {
  try {
    structuredClone(connection);
  } catch {
    throw new InvalidArgumentError(
      "connection options hold something that cannot be sent to the worker process (a function?): pass plain data (url, password, tls: { ca }), or start the worker with isolation: 'none'",
    );
  }
}
