/**
 * Flags shared by the commands that use Redis: where it is (`--redis`, on every command; the old
 * `--connection` of worker, queue and dashboard stays as an alias), which queue, which prefix.
 */
import { type Command, Option } from 'commander';
import { UsageError } from '../errors.js';

export const CONNECTION_HELP =
  'redis://[user:password@]host:port[/db] or rediss:// for TLS (default: $TASKMILL_REDIS_URL, else redis://127.0.0.1:6379); prefer the environment variable, which ps does not show';

export const REDIS_FLAG = '--redis <url>';

/** `--redis <url>`, with `--connection <url>` as an alias (not listed in --help). */
export function addRedisOption(command: Command, help = CONNECTION_HELP): Command {
  return command
    .option(REDIS_FLAG, `${help} (alias: --connection)`)
    .addOption(new Option('--connection <url>', 'alias of --redis').hideHelp());
}

export function addRedisFlags(command: Command): Command {
  return addRedisOption(command.option('--queue <name>', 'queue name', 'taskmill')).option(
    '--prefix <prefix>',
    'Redis key prefix (default bull)',
  );
}

/** The URL given with --redis or its alias --connection (undefined: neither). */
export function redisUrlFrom(flags: Record<string, unknown>): string | undefined {
  const redis = typeof flags.redis === 'string' ? flags.redis : undefined;
  const alias = typeof flags.connection === 'string' ? flags.connection : undefined;
  if (redis !== undefined && alias !== undefined && redis !== alias) {
    throw new UsageError(
      '--redis and --connection (its other name) name different servers: give only --redis',
    );
  }
  return redis ?? alias;
}

/** Where Redis is: --redis (or --connection), else $TASKMILL_REDIS_URL, else redis://127.0.0.1:6379. */
export function connectionFrom(flags: Record<string, unknown>): string {
  return redisUrlFrom(flags) ?? process.env.TASKMILL_REDIS_URL ?? 'redis://127.0.0.1:6379';
}

export function parseWhole(name: string, min = 1): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < min) {
      throw new UsageError(`--${name} must be a whole number of at least ${min}, got "${value}"`);
    }
    return n;
  };
}
