/** Flags shared by `taskmill worker` and `taskmill queue`: where Redis is, and which queue. */
import type { Command } from 'commander';
import { UsageError } from '../errors.js';

export const CONNECTION_HELP =
  'redis://[user:password@]host:port[/db] or rediss:// for TLS (default: $TASKMILL_REDIS_URL, else redis://127.0.0.1:6379); prefer the environment variable, which ps does not show';

export function addRedisFlags(command: Command): Command {
  return command
    .option('--queue <name>', 'queue name', 'taskmill')
    .option('--connection <url>', CONNECTION_HELP)
    .option('--prefix <prefix>', 'Redis key prefix (default bull)');
}

export function connectionFrom(flags: Record<string, unknown>): string {
  const given = flags.connection ?? process.env.TASKMILL_REDIS_URL ?? 'redis://127.0.0.1:6379';
  return String(given);
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
