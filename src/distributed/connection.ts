/**
 * Connections to Redis: from a `redis://` / `rediss://` URL or ioredis options, with
 * authentication (password, ACL user), TLS, a fail-fast check at start (a wrong password is one
 * clear line, not an endless reconnect loop), then reconnecting forever once running, so that
 * callers and workers ride out a Redis restart. URLs are redacted wherever they are shown.
 */
import { isIP } from 'node:net';
import { Redis, type RedisOptions } from 'ioredis';
import { withDeadline } from '../core/deadline.js';
import { InvalidArgumentError } from '../core/errors.js';
import type { ConnectionSpec } from './connection-spec.js';
import { RedisConnectionError } from './errors.js';

/** Settings every taskmill connection gets; BullMQ needs `maxRetriesPerRequest: null`. */
const BASE: RedisOptions = {
  maxRetriesPerRequest: null,
  enableReadyCheck: true,
  retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 1000),
};

/** ioredis options for a connection spec (a URL, or options as ioredis takes them). */
export function redisOptions(spec: ConnectionSpec | undefined): RedisOptions {
  if (spec === undefined) return { ...BASE, host: '127.0.0.1', port: 6379 };
  if (typeof spec === 'string') return { ...BASE, ...parseRedisUrl(spec) };
  if (spec === null || typeof spec !== 'object') {
    throw new InvalidArgumentError('connection must be a redis:// or rediss:// URL, or ioredis options');
  }
  const { url, ...rest } = spec as { url?: unknown } & Record<string, unknown>;
  const fromUrl = typeof url === 'string' ? parseRedisUrl(url) : {};
  return { ...BASE, ...fromUrl, ...(rest as RedisOptions) };
}

/** Parses `redis[s]://[user[:password]@]host[:port][/db]` (user and password percent-decoded). */
export function parseRedisUrl(text: string): RedisOptions {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidArgumentError(
      `connection ${JSON.stringify(redactUrl(text))} is not a URL: use redis://[user:password@]host:port[/db] or rediss:// for TLS`,
    );
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new InvalidArgumentError(
      `connection ${redactUrl(text)} must start with redis:// (or rediss:// for TLS)`,
    );
  }
  const options: RedisOptions = {
    host: url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: url.port === '' ? 6379 : Number(url.port),
  };
  if (url.username !== '') options.username = decodeURIComponent(url.username);
  if (url.password !== '') options.password = decodeURIComponent(url.password);
  const db = url.pathname.replace(/^\//, '');
  if (db !== '') {
    if (!/^\d+$/.test(db))
      throw new InvalidArgumentError(`database in ${redactUrl(text)} must be a number, e.g. /0`);
    options.db = Number(db);
  }
  if (url.protocol === 'rediss:') {
    const rejectUnauthorized = url.searchParams.get('rejectUnauthorized') !== 'false';
    // SNI carries host names only (RFC 6066): for an IP address the certificate is checked
    // against the address itself, and setting it as the server name is deprecated (DEP0123).
    options.tls =
      isIP(options.host ?? '') === 0
        ? { servername: options.host, rejectUnauthorized }
        : { rejectUnauthorized };
  }
  return options;
}

/** A URL with its password (and any credentials in the query) replaced by `***`. */
export function redactUrl(text: string): string {
  try {
    const url = new URL(text);
    if (url.password !== '') url.password = '***';
    for (const key of [...url.searchParams.keys()]) {
      if (/pass|secret|token|key/i.test(key)) url.searchParams.set(key, '***');
    }
    return url.href;
  } catch {
    return text.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
  }
}

/** Where a connection goes, for messages: host:port/db and the user, never the password. */
export function describeConnection(options: RedisOptions): string {
  const scheme = options.tls ? 'rediss' : 'redis';
  const user = options.username ? `${options.username}:***@` : options.password ? ':***@' : '';
  return `${scheme}://${user}${options.host ?? '127.0.0.1'}:${options.port ?? 6379}/${options.db ?? 0}`;
}

/** Removes passwords from a message that may quote connection details. */
export function redactText(text: string, options: RedisOptions): string {
  let out = text.replace(/(rediss?:\/\/[^:@/\s]*):[^@/\s]*@/g, '$1:***@');
  if (typeof options.password === 'string' && options.password.length > 0)
    out = out.split(options.password).join('***');
  return out;
}

/**
 * Opens a connection and checks it once (AUTH, PING), failing fast with a clear message on a
 * wrong password, an unknown user, a TLS problem or no server. After that it reconnects forever.
 */
export async function connect(options: RedisOptions, purpose: string, startTimeout = 10_000): Promise<Redis> {
  const where = describeConnection(options);
  const client = new Redis({ ...options, lazyConnect: true, connectionName: `taskmill:${purpose}` });
  let lastError: unknown;
  const onError = (error: unknown) => {
    lastError = error;
  };
  client.on('error', onError);
  try {
    await withDeadline(
      (async () => {
        await client.connect();
        await client.ping();
      })(),
      startTimeout,
      () => lastError ?? new Error(`no answer within ${startTimeout} ms`),
    );
  } catch (error) {
    client.disconnect();
    // ioredis often rejects with "Connection is closed"; the reason (WRONGPASS…) came as an event.
    const vague = !(error instanceof Error) || /Connection is closed/i.test(error.message);
    const reason =
      lastError instanceof Error && (vague || /WRONGPASS|NOAUTH|NOPERM/.test(lastError.message))
        ? lastError
        : error;
    throw explainConnectError(reason ?? lastError, where, options);
  }
  // From here on, errors are reconnects: logged by the owner, never thrown at random.
  client.off('error', onError);
  client.on('error', () => {});
  return client;
}

export function explainConnectError(
  error: unknown,
  where: string,
  options: RedisOptions,
): RedisConnectionError {
  const raw = redactText(error instanceof Error ? error.message : String(error), options);
  if (/WRONGPASS|invalid password|invalid username-password/i.test(raw)) {
    return new RedisConnectionError(
      `Redis at ${where} refused the credentials (${raw}): check the user and password in the connection URL (redis://user:password@host:port)`,
    );
  }
  if (/NOAUTH|Authentication required/i.test(raw)) {
    return new RedisConnectionError(
      `Redis at ${where} requires a password: put it in the connection URL (redis://:password@host:port) or the password option`,
    );
  }
  if (/NOPERM/i.test(raw)) {
    return new RedisConnectionError(
      `Redis at ${where} denied a command to this ACL user (${raw}): grant it the commands BullMQ needs (+@all on the queue's keys)`,
    );
  }
  if (/certificate|SSL|TLS|EPROTO|handshake/i.test(raw)) {
    return new RedisConnectionError(
      `TLS with Redis at ${where} failed (${raw}): trust the server's CA with connection { url: 'rediss://…', tls: { ca } }, or use redis:// if the server has no TLS`,
    );
  }
  return new RedisConnectionError(
    `cannot reach Redis at ${where} (${raw}): is redis-server running and the host/port right? (rediss:// for TLS)`,
  );
}
