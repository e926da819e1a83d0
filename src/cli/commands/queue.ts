/**
 * `taskmill queue`: a queue's counts (waiting, active, completed, failed, delayed);
 * `--failed` lists failed jobs with their errors; `retry <id>` / `retry --all-failed`;
 * `remove <id>`; `schedules` lists the queue's schedules, `schedules pause|resume|remove <id>`.
 */
import type { Command } from 'commander';
import type { QueueAdmin } from '../../distributed/queue-admin.js';
import { UsageError } from '../errors.js';
import { addRedisFlags, connectionFrom, parseWhole } from './redis-flags.js';

type Flags = Record<string, unknown>;

async function withAdmin<T>(flags: Flags, body: (admin: QueueAdmin) => Promise<T>): Promise<T> {
  // BullMQ loads only when a queue command actually runs, not at every CLI start.
  const { openQueueAdmin } = await import('../../distributed/public.js');
  const admin = await openQueueAdmin({
    queue: String(flags.queue),
    connection: connectionFrom(flags),
    ...(flags.prefix !== undefined ? { prefix: String(flags.prefix) } : {}),
  });
  try {
    return await body(admin);
  } finally {
    await admin.close();
  }
}

/** Options given on `queue` itself and on its subcommand, the subcommand's winning. */
function merged(command: Command): Flags {
  const parent = command.parent?.opts() ?? {};
  const own = command.opts();
  const out: Flags = { ...parent };
  for (const [key, value] of Object.entries(own)) {
    if (value !== undefined && !(key === 'queue' && value === 'taskmill' && parent.queue !== undefined))
      out[key] = value;
  }
  return out;
}

/**
 * Options from `queue` down to `command` (`queue schedules remove`): a value given on the
 * command line wins over a default at any level, a lower level's over a higher one's.
 */
function mergedChain(command: Command): Flags {
  const chain: Command[] = [];
  for (let at: Command | null = command; at !== null && at.name() !== 'taskmill'; at = at.parent) {
    chain.unshift(at);
    if (at.name() === 'queue') break;
  }
  const out: Flags = {};
  for (const level of chain) {
    for (const [key, value] of Object.entries(level.opts())) {
      if (value === undefined) continue;
      if (level.getOptionValueSource(key) === 'default' && out[key] !== undefined) continue;
      out[key] = value;
    }
  }
  return out;
}

export function register(program: Command): void {
  const queue = addRedisFlags(
    program
      .command('queue')
      .description('Show a Redis queue: counts by state; --failed lists failed jobs and their errors'),
  )
    .option('--failed', 'list failed jobs with their errors')
    .option('--limit <n>', 'failed jobs to list', parseWhole('limit'), 50)
    .option('--json', 'print JSON')
    .action(async (_flags: Flags, command: Command) => {
      const flags = command.opts();
      await withAdmin(flags, async (admin) => {
        const counts = await admin.counts();
        const failed = flags.failed === true ? await admin.failed(flags.limit as number) : undefined;
        if (flags.json === true) {
          process.stdout.write(`${JSON.stringify(failed === undefined ? { counts } : { counts, failed })}\n`);
          return;
        }
        const lines = [
          `queue ${String(flags.queue)}: waiting ${counts.waiting}, active ${counts.active}, completed ${counts.completed}, failed ${counts.failed}, delayed ${counts.delayed}`,
        ];
        for (const job of failed ?? []) {
          lines.push(
            `failed ${job.id} ${job.task} (${job.attemptsMade} attempt${job.attemptsMade === 1 ? '' : 's'}${job.failedAt ? `, ${job.failedAt.toISOString()}` : ''}): ${job.summary}`,
          );
        }
        process.stdout.write(`${lines.join('\n')}\n`);
      });
    });

  addRedisFlags(
    queue.command('retry [id]').description('run a failed job again (or every failed job with --all-failed)'),
  )
    .option('--all-failed', 'retry every failed job')
    .action(async (id: string | undefined, _flags: Flags, command: Command) => {
      const flags = merged(command);
      if ((id === undefined) === (flags.allFailed !== true)) {
        throw new UsageError('give a job id or --all-failed (not both): taskmill queue retry 42');
      }
      await withAdmin(flags, async (admin) => {
        if (id !== undefined) {
          await admin.retry(id);
          process.stdout.write(`job ${id} is waiting to run again\n`);
        } else {
          const count = await admin.retryAllFailed();
          process.stdout.write(`${count} failed job(s) are waiting to run again\n`);
        }
      });
    });

  addRedisFlags(queue.command('remove <id>').description('remove a job that is not running')).action(
    async (id: string, _flags: Flags, command: Command) => {
      const flags = merged(command);
      await withAdmin(flags, async (admin) => {
        if (!(await admin.remove(id))) {
          process.stderr.write(
            `taskmill: no job ${id} to remove on queue ${String(flags.queue)} (or it is running)\n`,
          );
          process.exitCode = 1;
          return;
        }
        process.stdout.write(`job ${id} removed\n`);
      });
    },
  );

  registerSchedules(queue);
}

function registerSchedules(queue: Command): void {
  const schedules = addRedisFlags(
    queue
      .command('schedules')
      .description("list the queue's schedules (pool.schedule): id, task, timing, next run, paused"),
  )
    .option('--json', 'print JSON')
    .action(async (_flags: Flags, command: Command) => {
      const flags = mergedChain(command);
      await withAdmin(flags, async (admin) => {
        const list = await admin.schedules.list();
        if (flags.json === true) {
          process.stdout.write(`${JSON.stringify(list)}\n`);
          return;
        }
        if (list.length === 0) {
          process.stdout.write(`queue ${String(flags.queue)}: no schedules\n`);
          return;
        }
        const lines = list.map(
          (s) =>
            `${s.id}  ${s.task}  ${s.timing}  missed: ${s.missed}  ${s.paused ? 'paused' : `next ${s.next?.toISOString() ?? '-'}`}`,
        );
        process.stdout.write(`${lines.join('\n')}\n`);
      });
    });
  const verbs = {
    pause: "stop a schedule's runs until it is resumed (its definition is kept)",
    resume: 'run a paused schedule again from its next window',
    remove: 'delete a schedule',
  } as const;
  for (const [verb, description] of Object.entries(verbs) as [keyof typeof verbs, string][]) {
    addRedisFlags(schedules.command(`${verb} <id>`).description(description)).action(
      async (id: string, _flags: Flags, command: Command) => {
        const flags = mergedChain(command);
        await withAdmin(flags, async (admin) => {
          if (verb === 'remove') {
            if (!(await admin.schedules.remove(id))) {
              process.stderr.write(`taskmill: no schedule ${id} on queue ${String(flags.queue)}\n`);
              process.exitCode = 1;
              return;
            }
          } else await admin.schedules[verb](id);
          process.stdout.write(
            `schedule ${id} ${verb === 'pause' ? 'paused' : verb === 'resume' ? 'resumed' : 'removed'}\n`,
          );
        });
      },
    );
  }
}
