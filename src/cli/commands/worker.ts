/**
 * `taskmill worker`: the rqworker of taskmill. Takes jobs from a Redis queue and runs them, but
 * only tasks exported by the modules given with --tasks. SIGTERM/SIGINT: stop taking jobs,
 * finish those in flight (a second signal hands them back), exit 0.
 */
import { type Command, Option } from 'commander';
import { assertFeatureInstalled } from '../../core/optional-packages.js';
import { UsageError } from '../errors.js';
import { addRedisFlags, connectionFrom, parseWhole } from './redis-flags.js';

export function register(program: Command): void {
  addRedisFlags(
    program
      .command('worker')
      .description(
        'Run tasks from a Redis queue (the redis backend); only tasks from the --tasks modules run',
      ),
  )
    .requiredOption(
      '--tasks <module...>',
      'task module(s) whose exports this worker runs: ./dist/tasks.js, or id=./path.js to set the module id',
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    )
    .option('--concurrency <n>', 'jobs run at once', parseWhole('concurrency'), 50)
    .addOption(
      new Option('--backend <name>', 'where tasks run inside the worker')
        .choices(['async', 'threads', 'processes'])
        .default('async'),
    )
    .option('--workers <n>', 'threads or processes of the local pool', parseWhole('workers'))
    .addOption(
      new Option(
        '--isolation <mode>',
        'process: run the worker in a supervised child process that a crashing task takes down alone; none: in this process',
      )
        .choices(['process', 'none'])
        .default('process'),
    )
    .option(
      '--max-crashes <n>',
      'times a job may crash its worker process, running alone, before it fails with WorkerCrashedError',
      parseWhole('max-crashes'),
      2,
    )
    .option(
      '--initializer <task>',
      'a task (moduleId#name) run once per local worker; its result is workerContext()',
    )
    .option('--initializer-args <json>', 'JSON array of arguments for the initializer', '[]')
    .option(
      '--lock-duration <ms>',
      'job lock, renewed while the task runs',
      parseWhole('lock-duration'),
      5000,
    )
    .option(
      '--stalled-interval <ms>',
      'how often to look for jobs of dead workers',
      parseWhole('stalled-interval'),
      2000,
    )
    .option('--rate <max/ms>', 'rate limit across the queue, e.g. 100/1000 for 100 jobs a second')
    .option('--max-payload <bytes>', 'largest encoded arguments or result', parseWhole('max-payload'))
    .option(
      '--grace <ms>',
      'how long SIGTERM waits for jobs in flight before handing them back',
      parseWhole('grace', 0),
      30_000,
    )
    .option(
      '--heartbeat-interval <ms>',
      'how often the worker tells the dashboard it is alive (3 missed: shown as gone)',
      parseWhole('heartbeat-interval'),
      2000,
    )
    .option(
      '--metrics-port <n>',
      'serve Prometheus metrics at /metrics on this port',
      parseWhole('metrics-port', 0),
    )
    .option('--metrics-host <address>', 'address the metrics server binds', '127.0.0.1')
    .option('--quiet', 'log nothing')
    .action(async (flags: Record<string, unknown>) => {
      let initializerArgs: unknown;
      try {
        initializerArgs = JSON.parse(String(flags.initializerArgs));
      } catch {
        throw new UsageError('--initializer-args must be a JSON array, e.g. \'["ctx"]\'');
      }
      if (!Array.isArray(initializerArgs)) throw new UsageError('--initializer-args must be a JSON array');
      const log =
        flags.quiet === true
          ? undefined
          : (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
      // BullMQ loads only when a worker actually starts, not at every CLI start.
      assertFeatureInstalled('redisWorker');
      const { runWorkerUntilSignal } = await import('../../distributed/run-worker.js');
      await runWorkerUntilSignal({
        tasks: flags.tasks as string[],
        queue: flags.queue as string,
        connection: connectionFrom(flags),
        ...(flags.prefix !== undefined ? { prefix: flags.prefix as string } : {}),
        concurrency: flags.concurrency as number,
        backend: flags.backend as 'async' | 'threads' | 'processes',
        isolation: flags.isolation as 'process' | 'none',
        maxCrashes: flags.maxCrashes as number,
        ...(flags.workers !== undefined ? { workers: flags.workers as number } : {}),
        ...(flags.initializer !== undefined
          ? { initializer: flags.initializer as string, initializerArgs }
          : {}),
        lockDuration: flags.lockDuration as number,
        stalledInterval: flags.stalledInterval as number,
        ...(flags.rate !== undefined ? { limiter: parseRate(String(flags.rate)) } : {}),
        ...(flags.maxPayload !== undefined ? { maxPayloadBytes: flags.maxPayload as number } : {}),
        graceMs: flags.grace as number,
        heartbeatInterval: flags.heartbeatInterval as number,
        ...(flags.metricsPort !== undefined
          ? { metricsPort: flags.metricsPort as number, metricsHost: String(flags.metricsHost) }
          : {}),
        ...(log !== undefined ? { log } : {}),
      });
    });
}

function parseRate(text: string): { max: number; duration: number } {
  const match = /^(\d+)\/(\d+)$/.exec(text);
  if (match === null || Number(match[1]) < 1 || Number(match[2]) < 1) {
    throw new UsageError(`--rate must be <jobs>/<ms>, e.g. 100/1000, got "${text}"`);
  }
  return { max: Number(match[1]), duration: Number(match[2]) };
}
