/**
 * `taskmill dashboard`: serves the live dashboard (queues, workers, jobs, local pools) and
 * Prometheus metrics at /metrics. Loopback by default; any other --host needs --token.
 * SIGINT/SIGTERM stop it.
 */
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { addRedisFlags, connectionFrom, parseWhole } from './redis-flags.js';

export function register(program: Command): void {
  addRedisFlags(
    program
      .command('dashboard')
      .description('Serve a live web dashboard of Redis queues, workers, jobs and exposed local pools'),
  )
    .option('--port <n>', 'port to listen on (0: any free port)', parseWhole('port', 0), 7070)
    .option('--host <address>', 'address to bind; anything but loopback needs --token', '127.0.0.1')
    .option(
      '--token <secret>',
      'secret for the page (HTTP Basic password) and for actions (default: $TASKMILL_DASHBOARD_TOKEN)',
    )
    .option('--no-redis', 'show only exposed local pools, without Redis')
    .action(async (flags: Record<string, unknown>, command: Command) => {
      const { startDashboard } = await import('../../dashboard/public.js');
      const { DashboardSecurityError } = await import('../../dashboard/security.js');
      const explicitQueue = command.getOptionValueSource('queue') === 'cli';
      let dashboard: Awaited<ReturnType<typeof startDashboard>>;
      try {
        dashboard = await startDashboard({
          host: String(flags.host),
          port: flags.port as number,
          ...(typeof flags.token === 'string' ? { token: flags.token } : {}),
          ...(flags.redis !== false ? { connection: connectionFrom(flags) } : {}),
          ...(flags.prefix !== undefined ? { prefix: String(flags.prefix) } : {}),
          ...(explicitQueue ? { queues: [String(flags.queue)] } : {}),
        });
      } catch (error) {
        if (error instanceof DashboardSecurityError) throw new UsageError(error.message);
        throw error;
      }
      process.stdout.write(`taskmill dashboard at ${dashboard.url}\n`);
      process.stdout.write(
        `token for actions and pool.expose(): ${dashboard.token}${flags.token === undefined && process.env.TASKMILL_DASHBOARD_TOKEN === undefined ? ' (made for this run; set --token to choose it)' : ''}\n`,
      );
      await new Promise<void>((resolve) => {
        const stop = () => {
          dashboard.close().then(resolve, resolve);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
