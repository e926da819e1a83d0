/** Options of `startDashboard()` / `taskmill dashboard`, their defaults and their checks. */
import { InvalidArgumentError } from '../core/errors.js';
import { assertKnownKeys } from '../core/option-keys.js';
import type { ConnectionSpec } from '../distributed/connection-spec.js';
import { validatePrefix, validateQueueName } from '../distributed/queue-keys.js';

export interface DashboardOptions {
  /** Address to bind. Default 127.0.0.1; any other address needs `token`. */
  readonly host?: string;
  /** Port (0: any free one). Default 7070. */
  readonly port?: number;
  /** Secret for the page and the API; required off loopback. Default: $TASKMILL_DASHBOARD_TOKEN, else one made per run. */
  readonly token?: string;
  /** Redis to show queues from (`redis://…`); without it only local pools are shown. */
  readonly connection?: ConnectionSpec;
  /** Redis key prefix of the queues (default `bull`). */
  readonly prefix?: string;
  /** Queues to show besides those whose workers registered themselves. */
  readonly queues?: readonly string[];
  /** Ms between live updates. Default 1,000. */
  readonly refreshMs?: number;
  /** Ms to wait for Redis at start. Default 10,000. */
  readonly connectTimeout?: number;
}

export interface ResolvedDashboardOptions {
  readonly host: string;
  readonly port: number;
  readonly token: string | undefined;
  readonly connection: ConnectionSpec | undefined;
  readonly prefix: string;
  readonly queues: readonly string[];
  readonly refreshMs: number;
  readonly connectTimeout: number;
}

const KEYS = ['host', 'port', 'token', 'connection', 'prefix', 'queues', 'refreshMs', 'connectTimeout'];

export function resolveDashboardOptions(options: DashboardOptions): ResolvedDashboardOptions {
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError(
      "startDashboard takes an options object, e.g. { connection: 'redis://127.0.0.1:6379' }",
    );
  }
  assertKnownKeys(options, KEYS, 'Dashboard options');
  const host = options.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host === '' || /[\s/]/.test(host)) {
    throw new InvalidArgumentError(`host must be an address such as 127.0.0.1, got ${JSON.stringify(host)}`);
  }
  const port = options.port ?? 7070;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError(`port must be a whole number from 0 to 65535, got ${String(port)}`);
  }
  const token = options.token ?? (process.env.TASKMILL_DASHBOARD_TOKEN || undefined);
  if (token !== undefined && typeof token !== 'string')
    throw new InvalidArgumentError('token must be a string');
  const queues = options.queues ?? [];
  if (!Array.isArray(queues)) throw new InvalidArgumentError('queues must be a list of queue names');
  const refreshMs = options.refreshMs ?? 1000;
  if (typeof refreshMs !== 'number' || !(refreshMs >= 100)) {
    throw new InvalidArgumentError(`refreshMs must be at least 100, got ${String(refreshMs)}`);
  }
  const connectTimeout = options.connectTimeout ?? 10_000;
  if (typeof connectTimeout !== 'number' || !(connectTimeout > 0)) {
    throw new InvalidArgumentError(
      `connectTimeout must be a positive number of ms, got ${String(connectTimeout)}`,
    );
  }
  return {
    host,
    port,
    token,
    connection: options.connection,
    prefix: validatePrefix(options.prefix),
    queues: queues.map(validateQueueName),
    refreshMs,
    connectTimeout,
  };
}
