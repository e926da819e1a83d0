/**
 * Per-host limits that hold across machines (`--backend redis`): every worker of a run takes
 * its connections and its requests from Redis, so a site sees at most `--per-host` connections
 * and `--rate` requests per second from the run in all, however many workers on however many
 * hosts share it.
 *
 * - Connections: a semaphore per host, a sorted set of leases scored by their expiry (Redis
 *   time). A worker takes a lease before it opens a connection (undici's connect hook) and gives
 *   it back when the connection closes; it renews its leases while they live, so those of a
 *   worker that dies (kill -9, a lost host) lapse within LEASE_MS and others take them. A
 *   worker that finds a lease of its own lapsed (it was frozen past LEASE_MS) closes that
 *   connection. Connections are recycled every RECYCLE_AFTER requests so that busy workers
 *   cannot keep every lease while others wait.
 * - Rate: a token bucket for the run, by reservation: each request takes a token, perhaps one
 *   not yet there, and is told how long to wait for it (requests queue in arrival order, as the
 *   in-process TokenBucket does).
 *
 * Both run as Lua scripts on Redis' own clock, so the workers' clocks do not matter.
 */
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Redis } from 'ioredis';
import type { buildConnector } from 'undici';
import type { ConnectionSpec } from '../distributed/connection-spec.js';
import { abortableSleep } from './abortable-sleep.js';

/** How long a lease lives without renewal. */
export const LEASE_MS = 10_000;
const RENEW_EVERY_MS = LEASE_MS / 4;
/** A connection gives its lease back this long after it closed (the server may still count it). */
const RELEASE_GRACE_MS = 50;
/** Requests per connection before it is closed (and its lease goes back to the pool of leases). */
export const RECYCLE_AFTER = 16;
/** Polls for a free lease: a random wait in this range between tries. */
const POLL_MIN_MS = 5;
const POLL_MAX_MS = 25;

/**
 * KEYS[1]: the host's leases, KEYS[2]: the run's list of its keys (for clearRunLimits). ARGV:
 * limit, lease id, lease ms. Returns 1 when taken, 0 when full.
 */
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]) * 2)
  redis.call('SADD', KEYS[2], KEYS[1])
  redis.call('PEXPIRE', KEYS[2], 86400000)
  return 1
end
return 0
`;

/** KEYS: the leases' sets, ARGV[1]: lease ms, ARGV[2..]: the lease ids (one per key). Returns 1/0 per lease (0: it lapsed). */
const RENEW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ms = tonumber(ARGV[1])
local kept = {}
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  if redis.call('ZSCORE', key, ARGV[i + 1]) then
    redis.call('ZADD', key, 'XX', now + ms, ARGV[i + 1])
    redis.call('PEXPIRE', key, ms * 2)
    kept[i] = 1
  else
    kept[i] = 0
  end
end
return kept
`;

/** KEYS[1]: the run's bucket, KEYS[2]: the run's list of keys. ARGV: rate (per second), burst. Returns ms to wait before using the token taken. */
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
end
tokens = math.min(burst, tokens + (now - at) * rate / 1000) - 1
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
local wait = 0
if tokens < 0 then wait = math.ceil(-tokens * 1000 / rate) end
redis.call('PEXPIRE', KEYS[1], 60000 + wait)
redis.call('SADD', KEYS[2], KEYS[1])
redis.call('PEXPIRE', KEYS[2], 86400000)
return wait
`;

interface LimitCommands {
  taskmillAcquireLease(key: string, keys: string, limit: number, lease: string, ms: number): Promise<number>;
  taskmillRenewLeases(...args: (string | number)[]): Promise<number[]>;
  taskmillTakeToken(key: string, keys: string, rate: number, burst: number): Promise<number>;
}

type LimitClient = Redis & LimitCommands;

/** A client with nothing running and no lease held closes after this long (a worker may serve runs for days). */
const IDLE_CLOSE_MS = 2000;

/**
 * One Redis client per process and connection, shared by every run's limits, open only while
 * it is used: it never keeps a process alive, nor reconnects for ever to a Redis gone for good.
 */
class SharedClient {
  readonly #connection: ConnectionSpec | undefined;
  #client: Promise<LimitClient> | undefined;
  #busy = 0;
  #held = 0;
  #idle: NodeJS.Timeout | undefined;

  constructor(connection: ConnectionSpec | undefined) {
    this.#connection = connection;
  }

  async run<T>(use: (client: LimitClient) => Promise<T>): Promise<T> {
    this.#busy++;
    clearTimeout(this.#idle);
    try {
      this.#client ??= this.#open();
      return await use(await this.#client);
    } finally {
      this.#busy--;
      this.#maybeIdle();
    }
  }

  /**
   * Sends what need not be waited for (a release, a renewal): never keeps the client open, and
   * is dropped when it closes (leases lapse on their own). Nothing is sent when it is closed.
   */
  fire(send: (client: LimitClient) => Promise<unknown>): Promise<unknown> {
    const client = this.#client;
    if (client === undefined) return Promise.resolve(undefined);
    return client.then(send);
  }

  /** Leases held (the client stays open while there are any, to renew them). */
  hold(delta: number): void {
    this.#held += delta;
    if (delta > 0) clearTimeout(this.#idle);
    else this.#maybeIdle();
  }

  #maybeIdle(): void {
    if (this.#busy > 0 || this.#held > 0) return;
    clearTimeout(this.#idle);
    this.#idle = setTimeout(() => {
      const client = this.#client;
      this.#client = undefined;
      client?.then((open) => open.disconnect()).catch(() => {});
    }, IDLE_CLOSE_MS);
    this.#idle.unref();
  }

  async #open(): Promise<LimitClient> {
    try {
      const { connect, redisOptions } = await import('../distributed/connection.js');
      const redis = (await connect(redisOptions(this.#connection), 'download-limits')) as LimitClient;
      redis.on('error', () => {});
      redis.defineCommand('taskmillAcquireLease', { numberOfKeys: 2, lua: ACQUIRE });
      redis.defineCommand('taskmillRenewLeases', { lua: RENEW });
      redis.defineCommand('taskmillTakeToken', { numberOfKeys: 2, lua: TAKE });
      return redis;
    } catch (error) {
      this.#client = undefined;
      throw error;
    }
  }
}

const clients = new Map<string, SharedClient>();

function clientFor(connection: ConnectionSpec | undefined): SharedClient {
  const key = JSON.stringify(connection ?? null);
  let client = clients.get(key);
  if (client === undefined) {
    client = new SharedClient(connection);
    clients.set(key, client);
  }
  return client;
}

export interface SharedLimitsOptions {
  readonly connection: ConnectionSpec | undefined;
  readonly prefix: string;
  /** The run these limits belong to (every worker of the run shares them). */
  readonly runId: string;
  readonly connectionsPerHost: number;
  /** Requests per second in all; 0: unlimited. */
  readonly rate: number;
}

interface Lease {
  readonly key: string;
  readonly id: string;
  socket: Socket | undefined;
}

interface Waiter {
  resolve(lease: Lease): void;
  reject(error: unknown): void;
  done: boolean;
}

/** Every key of a run starts so; one hash tag per run: they land on one cluster slot. */
function runBase(prefix: string, runId: string): string {
  return `${prefix}:taskmill-limits:{${runId}}`;
}

/**
 * Removes a finished run's limits from Redis (the caller does it once the run is over; leases
 * still held by idle connections go with them, harmlessly: nothing of the run starts again).
 */
export async function clearRunLimits(
  client: Pick<Redis, 'smembers' | 'del'>,
  prefix: string,
  runId: string,
): Promise<void> {
  const list = `${runBase(prefix, runId)}:keys`;
  const keys = await client.smembers(list);
  await client.del(list, ...keys);
}

function abandoned(): Error {
  const error = new Error('The operation was aborted: the download run was abandoned');
  error.name = 'AbortError';
  return error;
}

export class SharedHostLimits {
  readonly #options: SharedLimitsOptions;
  readonly #redis: SharedClient;
  readonly #base: string;
  readonly #leases = new Set<Lease>();
  readonly #waiters = new Map<string, Waiter[]>();
  readonly #polling = new Set<string>();
  #renewTimer: NodeJS.Timeout | undefined;
  #closed = false;
  readonly #stop: AbortSignal;

  /** `stop` ends every wait (for a lease, for a token) when the run is abandoned. */
  constructor(options: SharedLimitsOptions, stop: AbortSignal) {
    this.#options = options;
    this.#stop = stop;
    if (stop.aborted) this.#closed = true;
    else stop.addEventListener('abort', () => this.close(), { once: true });
    this.#redis = clientFor(options.connection);
    this.#base = runBase(options.prefix, options.runId);
  }

  /** Leases held by this process now (for tests). */
  get held(): number {
    return this.#leases.size;
  }

  /** An undici connector that opens a connection only under a lease of its host. */
  connector(base: buildConnector.connector): buildConnector.connector {
    return (options, callback) => {
      const host = `${options.hostname}:${options.port || (options.protocol === 'https:' ? '443' : '80')}`;
      this.#acquire(host).then(
        (lease) => {
          base(options, (...args) => {
            const [error, socket] = args;
            if (error !== null) {
              this.#release(lease);
              callback(error, null);
              return;
            }
            lease.socket = socket;
            socket.once('close', () => this.#release(lease));
            callback(null, socket);
          });
        },
        (error: unknown) => callback(error instanceof Error ? error : new Error(String(error)), null),
      );
    };
  }

  /** Waits for this run's next request token (nothing to wait for without a rate). */
  async take(signal: AbortSignal = this.#stop): Promise<void> {
    const { rate } = this.#options;
    if (rate <= 0) return;
    if (this.#closed) throw abandoned();
    const burst = Math.max(1, Math.ceil(rate / 10));
    const wait = await this.#redis.run((client) =>
      client.taskmillTakeToken(`${this.#base}:rate`, `${this.#base}:keys`, rate, burst),
    );
    if (wait > 0) await abortableSleep(wait, signal);
  }

  /** Stops renewing; leases still held lapse on their own (their connections are being closed). */
  close(): void {
    this.#closed = true;
    clearInterval(this.#renewTimer);
    this.#renewTimer = undefined;
    for (const queue of this.#waiters.values()) {
      for (const waiter of queue.splice(0)) {
        waiter.done = true;
        waiter.reject(abandoned());
      }
    }
  }

  #acquire(host: string): Promise<Lease> {
    if (this.#closed) return Promise.reject(abandoned());
    const key = `${this.#base}:conns:${host}`;
    return new Promise<Lease>((resolve, reject) => {
      let queue = this.#waiters.get(key);
      if (queue === undefined) {
        queue = [];
        this.#waiters.set(key, queue);
      }
      queue.push({ resolve, reject, done: false });
      this.#poll(key).catch((error: unknown) => {
        for (const pending of (this.#waiters.get(key) ?? []).splice(0)) {
          pending.done = true;
          pending.reject(error);
        }
      });
    });
  }

  /** Takes leases for this key's waiters, first come first served, until none wait. One poller per key. */
  async #poll(key: string): Promise<void> {
    if (this.#polling.has(key)) return;
    this.#polling.add(key);
    try {
      const queue = this.#waiters.get(key) as Waiter[];
      while (queue.length > 0 && !this.#closed) {
        const id = randomUUID();
        const taken = await this.#redis.run((client) =>
          client.taskmillAcquireLease(
            key,
            `${this.#base}:keys`,
            this.#options.connectionsPerHost,
            id,
            LEASE_MS,
          ),
        );
        if (taken !== 1) {
          await abortableSleep(POLL_MIN_MS + Math.random() * (POLL_MAX_MS - POLL_MIN_MS));
          continue;
        }
        const lease: Lease = { key, id, socket: undefined };
        const waiter = queue.shift();
        if (waiter === undefined || waiter.done) {
          // The waiter gave up while the lease was being taken: give it back.
          await this.#redis.run((client) => client.zrem(key, id));
          continue;
        }
        waiter.done = true;
        this.#hold(lease);
        waiter.resolve(lease);
      }
    } finally {
      this.#polling.delete(key);
    }
  }

  #hold(lease: Lease): void {
    this.#leases.add(lease);
    this.#redis.hold(1);
    if (this.#renewTimer === undefined) {
      this.#renewTimer = setInterval(() => this.#renew(), RENEW_EVERY_MS);
      this.#renewTimer.unref();
    }
  }

  #release(lease: Lease): void {
    if (!this.#leases.delete(lease)) return;
    if (this.#leases.size === 0) {
      clearInterval(this.#renewTimer);
      this.#renewTimer = undefined;
    }
    setTimeout(() => {
      this.#redis.fire((client) => client.zrem(lease.key, lease.id)).catch(() => {});
      this.#redis.hold(-1);
    }, RELEASE_GRACE_MS).unref();
  }

  #renew(): void {
    const leases = [...this.#leases];
    if (leases.length === 0) return;
    this.#redis
      .fire((client) =>
        client.taskmillRenewLeases(
          leases.length,
          ...leases.map((lease) => lease.key),
          LEASE_MS,
          ...leases.map((lease) => lease.id),
        ),
      )
      .then((reply) => {
        const kept = (reply ?? []) as number[];
        leases.forEach((lease, i) => {
          if (kept.length === 0) return;
          // Lapsed (this process was frozen past LEASE_MS): another worker may hold it now.
          if (kept[i] !== 1 && this.#leases.has(lease)) lease.socket?.destroy();
        });
      })
      .catch(() => {});
  }
}
