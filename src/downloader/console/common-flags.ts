/** Flags shared by `taskmill download` and `taskmill crawl`, and how they become DownloadOptions. */
import { type Command, Option } from 'commander';
import { REDIS_FLAG, redisUrlFrom } from '../../cli/commands/redis-flags.js';
import { UsageError } from '../../cli/errors.js';
import type { DownloadOptions } from '../options.js';

export function wholeNumber(flag: string, min = 0): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || n < min) {
      throw new UsageError(`--${flag} must be a whole number of at least ${min}, got "${value}"`);
    }
    return n;
  };
}

export function positiveNumber(flag: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < 0) {
      throw new UsageError(`--${flag} must be a non-negative number, got "${value}"`);
    }
    return n;
  };
}

export function addDownloadFlags(command: Command): Command {
  return command
    .option('-o, --out <dir>', 'output folder', 'images')
    .addOption(
      new Option('-b, --backend <name>', 'execution model')
        .choices(['sequential', 'async', 'threads', 'processes', 'redis', 'auto'])
        .default('async'),
    )
    .option('-c, --concurrency <n>', 'downloads in flight at once', wholeNumber('concurrency', 1), 16)
    .option(
      '--workers <n>',
      'worker threads/processes (threads, processes); must divide -c (default: the most up to 8 that do)',
      wholeNumber('workers', 1),
    )
    .option(
      '--per-host <n>',
      'most connections to one host (default: concurrency)',
      wholeNumber('per-host', 1),
    )
    .option('--rate <n>', 'requests per second in all (0 = unlimited)', positiveNumber('rate'), 0)
    .option('--retries <n>', 'retries per file after the first attempt', wholeNumber('retries'), 3)
    .option('--backoff <ms>', 'first retry delay (doubles, with jitter)', positiveNumber('backoff'), 250)
    .option('--max-backoff <ms>', 'longest wait between attempts', positiveNumber('max-backoff'), 30_000)
    .option('--connect-timeout <ms>', 'connect timeout', wholeNumber('connect-timeout', 1), 10_000)
    .option('--idle-timeout <ms>', 'longest silence from a server', wholeNumber('idle-timeout', 1), 30_000)
    .option('--user-agent <text>', 'User-Agent header')
    .option(
      REDIS_FLAG,
      'Redis for --backend redis (default: $TASKMILL_REDIS_URL, else redis://127.0.0.1:6379; alias: --connection)',
    )
    .addOption(new Option('--connection <url>', 'alias of --redis').hideHelp())
    .option(
      '--wait-for-worker <s>',
      '--backend redis: fail after this many seconds with no worker on the queue (default: warn, keep waiting)',
      positiveNumber('wait-for-worker'),
    )
    .option(
      '--queue <name>',
      'queue for --backend redis (start workers with: taskmill worker --tasks <dist>/downloader/download-task.js)',
    )
    .option('--report <file.json>', 'write every item outcome (and failure reason) to this JSON file')
    .option('-q, --quiet', 'no progress display');
}

export function downloadOptionsFrom(flags: Record<string, unknown>): DownloadOptions {
  const userAgent = flags.userAgent as string | undefined;
  if (userAgent !== undefined && /[\r\n\0]/.test(userAgent))
    throw new UsageError('--user-agent must be one line');
  return {
    out: flags.out as string,
    backend: flags.backend as DownloadOptions['backend'],
    concurrency: flags.concurrency as number,
    ...(flags.workers !== undefined ? { workers: flags.workers as number } : {}),
    ...(flags.perHost !== undefined ? { connectionsPerHost: flags.perHost as number } : {}),
    rate: flags.rate as number,
    retries: flags.retries as number,
    backoff: flags.backoff as number,
    maxBackoff: flags.maxBackoff as number,
    connectTimeout: flags.connectTimeout as number,
    idleTimeout: flags.idleTimeout as number,
    ...(userAgent !== undefined ? { userAgent } : {}),
    ...(flags.waitForWorker !== undefined ? { waitForWorker: flags.waitForWorker as number } : {}),
    ...(flags.backend === 'redis' ? { pool: redisPool(flags) } : {}),
  };
}

function redisPool(flags: Record<string, unknown>): { connection?: string; queue?: string } {
  const connection = redisUrlFrom(flags) ?? process.env.TASKMILL_REDIS_URL;
  return {
    ...(connection !== undefined ? { connection } : {}),
    ...(flags.queue !== undefined ? { queue: flags.queue as string } : {}),
  };
}
