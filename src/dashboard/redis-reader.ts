/**
 * Everything the dashboard reads from and does to Redis queues, in bounded, paged commands
 * that stay fast with millions of jobs: counts are O(1) per state, a page of jobs is one range
 * read plus one script that returns only short previews of each job's fields (never whole
 * payloads), and queues are found in the set workers register in (no KEYS or SCAN).
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { InvalidArgumentError } from '../core/errors.js';
import { validateQueueName } from '../distributed/queue-keys.js';
import { attemptsKey, queuesKey, workerKey, workersKey } from '../observe/worker-watch.js';
import type { JobHash, JobRow, QueueCounts, WorkerInfo } from './redis-rows.js';

export const JOB_STATES = ['waiting', 'active', 'delayed', 'completed', 'failed'] as const;
export type JobState = (typeof JOB_STATES)[number];

export type { JobHash, JobRow, QueueCounts, WorkerInfo } from './redis-rows.js';

const PREVIEW = 160;
/** Job ids BullMQ could have made or been given: no ':' (it would reach other keys of the queue). */
const JOB_ID = /^[^:\s]{1,200}$/;
/** Names of the queue's own keys, which no job id may take. */
const RESERVED = new Set([
  'wait',
  'waiting',
  'active',
  'paused',
  'completed',
  'failed',
  'delayed',
  'prioritized',
  'meta',
  'events',
  'id',
  'stalled',
  'stalled-check',
  'limiter',
  'marker',
  'pc',
  'repeat',
  'de',
  'metrics',
  'taskmill',
]);

export function checkJobId(id: string): string {
  if (!JOB_ID.test(id) || RESERVED.has(id)) {
    throw new InvalidArgumentError(`${JSON.stringify(id.slice(0, 50))} is not a job id`);
  }
  return id;
}
/** Jobs looked at when a list is filtered by task name (the newest of the state). */
export const SEARCH_WINDOW = 2000;
const WORKERS_LISTED = 200;
const GONE_AFTER_BEATS = 3;

// For each job key: name, timestamp, processedOn, finishedOn, attemptsMade, then previews and
// sizes of data, failedReason and returnvalue. Only the previews leave Redis.
const ROWS_SCRIPT = `
local out = {}
local n = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then
    local f = redis.call('HMGET', key, 'name', 'timestamp', 'processedOn', 'finishedOn', 'attemptsMade', 'ats')
    local data = redis.call('HGET', key, 'data') or ''
    local args = data
    if #data <= 4096 then
      local ok, decoded = pcall(cjson.decode, data)
      if ok and type(decoded) == 'table' then
        local shown = decoded.args
        if shown == nil then shown = decoded.items end
        if shown ~= nil then args = (string.gsub(cjson.encode(shown), '\\\\/', '/')) end
      end
    else
      local a = string.find(data, '"args":', 1, true)
      local c = string.find(data, '"items":', 1, true)
      if a ~= nil and (c == nil or a < c) then args = string.sub(data, a + 7)
      elseif c ~= nil then args = string.sub(data, c + 8) end
    end
    local reason = redis.call('HGET', key, 'failedReason') or ''
    local value = redis.call('HGET', key, 'returnvalue') or ''
    local attempts = math.max(tonumber(f[5]) or 0, tonumber(f[6]) or 0)
    out[#out + 1] = {1, f[1] or '', f[2] or '', f[3] or '', f[4] or '', tostring(attempts),
      string.sub(args, 1, n), tostring(#args), string.sub(reason, 1, n * 4), string.sub(value, 1, n)}
  else
    out[#out + 1] = {0}
  end
end
return out
`;

export class RedisReader {
  readonly #client: Redis;
  readonly #prefix: string;
  readonly #named: readonly string[];
  readonly #queues = new Map<string, Queue>();

  constructor(client: Redis, prefix: string, queues: readonly string[]) {
    this.#client = client;
    this.#prefix = prefix;
    this.#named = queues;
  }

  get prefix(): string {
    return this.#prefix;
  }

  /** Queues given at start and those whose workers registered (sorted, at most 500). */
  async queueNames(): Promise<string[]> {
    const registered = await this.#client.srandmember(queuesKey(this.#prefix), 500);
    const names = new Set([...this.#named, ...(registered ?? [])]);
    return [...names].filter((name) => /^[A-Za-z0-9_.@-]{1,100}$/.test(name)).sort();
  }

  /** The BullMQ Queue for a name the dashboard knows (anything else is refused). */
  async queue(name: string): Promise<Queue> {
    validateQueueName(name);
    let queue = this.#queues.get(name);
    if (queue === undefined) {
      if (!(await this.queueNames()).includes(name)) {
        throw new InvalidArgumentError(`no queue ${JSON.stringify(name)} under prefix ${this.#prefix}`);
      }
      queue = new Queue(name, { connection: this.#client, prefix: this.#prefix });
      queue.on('error', () => {});
      this.#queues.set(name, queue);
    }
    return queue;
  }

  async counts(name: string): Promise<{ counts: QueueCounts; paused: boolean }> {
    const queue = await this.queue(name);
    const [c, paused] = await Promise.all([
      queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'completed', 'failed'),
      queue.isPaused(),
    ]);
    return {
      counts: {
        waiting: (c.waiting ?? 0) + (c.prioritized ?? 0),
        active: c.active ?? 0,
        delayed: c.delayed ?? 0,
        completed: c.completed ?? 0,
        failed: c.failed ?? 0,
      },
      paused,
    };
  }

  /** The queue's workers that heartbeat within the last hour, newest first. */
  async workers(name: string, now = Date.now()): Promise<WorkerInfo[]> {
    const queue = await this.queue(name);
    const ids = await this.#client.zrevrangebyscore(
      workersKey(this.#prefix, name),
      '+inf',
      now - 3_600_000,
      'LIMIT',
      0,
      WORKERS_LISTED,
    );
    if (ids.length === 0) return [];
    const pipeline = this.#client.pipeline();
    for (const id of ids) pipeline.hgetall(workerKey(this.#prefix, name, id));
    const [replies, clients] = await Promise.all([
      pipeline.exec(),
      queue.getWorkers().catch(() => [] as Record<string, string>[]),
    ]);
    // BullMQ names a worker's connections `<queue's client name>:w:<worker name>`.
    const connected = new Set(clients.map((c) => (c.rawname ?? '').split(':w:').pop()));
    const out: WorkerInfo[] = [];
    ids.forEach((id, i) => {
      const hash = (replies?.[i]?.[1] ?? {}) as Record<string, string>;
      if (hash.beatAt === undefined) return;
      const beatAt = Number(hash.beatAt);
      const interval = Number(hash.interval) || 2000;
      let running: WorkerInfo['running'] = [];
      try {
        const parsed: unknown = JSON.parse(hash.running ?? '[]');
        if (Array.isArray(parsed)) running = parsed as WorkerInfo['running'];
      } catch {
        // a malformed list shows as none
      }
      out.push({
        queue: name,
        id,
        host: hash.host ?? '',
        pid: Number(hash.pid),
        concurrency: Number(hash.concurrency),
        backend: hash.backend ?? '',
        startedAt: Number(hash.startedAt),
        beatAt,
        done: Number(hash.done) || 0,
        failed: Number(hash.failed) || 0,
        runningCount: Number(hash.runningCount) || 0,
        running,
        status: hash.stopped === '1' ? 'stopped' : now - beatAt > interval * GONE_AFTER_BEATS ? 'gone' : 'up',
        connected: connected.has(id),
      });
    });
    return out;
  }

  /**
   * One page of a state's jobs, newest first. `search`: a job id (exact), or part of a task
   * name, looked for among the newest SEARCH_WINDOW jobs of the state.
   */
  async jobs(
    name: string,
    state: JobState,
    page: number,
    size: number,
    search = '',
  ): Promise<{ rows: JobRow[]; total: number; searched?: number }> {
    const queue = await this.queue(name);
    const types = state === 'waiting' ? (['waiting', 'prioritized'] as const) : ([state] as const);
    const total = (await this.counts(name)).counts[state];
    if (search === '') {
      const ids = await queue.getRanges([...types], page * size, page * size + size - 1, false);
      return { rows: await this.rows(name, ids.slice(0, size)), total };
    }
    const exact = JOB_ID.test(search) && !RESERVED.has(search) ? await this.rows(name, [search]) : [];
    if (exact.length === 1 && inState(await queue.getJobState(search), state)) {
      return { rows: exact, total: 1, searched: 1 };
    }
    const ids = await queue.getRanges([...types], 0, SEARCH_WINDOW - 1, false);
    const needle = search.toLowerCase();
    const matches: JobRow[] = [];
    for (let at = 0; at < ids.length; at += 250) {
      for (const row of await this.rows(name, ids.slice(at, at + 250))) {
        if (row.task.toLowerCase().includes(needle)) matches.push(row);
      }
    }
    return {
      rows: matches.slice(page * size, page * size + size),
      total: matches.length,
      searched: ids.length,
    };
  }

  /** List rows of these job ids (missing jobs are left out). */
  async rows(name: string, ids: readonly string[]): Promise<JobRow[]> {
    if (ids.length === 0) return [];
    const keys = ids.map((id) => `${this.#prefix}:${name}:${id}`);
    const reply = (await this.#client.eval(ROWS_SCRIPT, keys.length, ...keys, PREVIEW)) as unknown[][];
    const rows: JobRow[] = [];
    reply.forEach((fields, i) => {
      if (fields[0] !== 1) return;
      const [, task, created, started, finished, attempts, args, argsBytes, reason, value] =
        fields.map(String);
      rows.push({
        id: ids[i] as string,
        task: task as string,
        createdAt: time(created),
        startedAt: time(started),
        finishedAt: time(finished),
        attemptsMade: Number(attempts) || 0,
        argsPreview: args as string,
        argsBytes: Number(argsBytes) || 0,
        errorPreview: reason as string,
        resultPreview: value as string,
      });
    });
    return rows;
  }

  /** A job's whole hash, its state and its recorded attempts; undefined when there is no such job. */
  async job(
    name: string,
    id: string,
  ): Promise<{ hash: JobHash; state: string; attempts: unknown[] } | undefined> {
    const queue = await this.queue(name);
    checkJobId(id);
    const key = `${this.#prefix}:${name}:${id}`;
    const [hash, state, attempts] = await Promise.all([
      this.#client.hgetall(key),
      queue.getJobState(id),
      this.#client.lrange(attemptsKey(this.#prefix, name, id), 0, 99),
    ]);
    if (hash === null || hash.data === undefined || hash.timestamp === undefined) return undefined;
    return {
      hash,
      state,
      attempts: attempts.flatMap((text) => {
        try {
          return [JSON.parse(text) as unknown];
        } catch {
          return [];
        }
      }),
    };
  }

  async pause(name: string): Promise<void> {
    await (await this.queue(name)).pause();
  }

  async resume(name: string): Promise<void> {
    await (await this.queue(name)).resume();
  }

  /** Removes up to `limit` finished jobs of a state older than `graceMs`; returns how many. */
  async clean(name: string, state: 'completed' | 'failed', graceMs: number, limit: number): Promise<number> {
    return (await (await this.queue(name)).clean(graceMs, limit, state)).length;
  }

  async retryAllFailed(name: string): Promise<number> {
    const queue = await this.queue(name);
    const before = (await queue.getJobCounts('failed')).failed ?? 0;
    await queue.retryJobs({ state: 'failed', count: 1000 });
    return before;
  }

  async retry(name: string, id: string): Promise<void> {
    const queue = await this.queue(name);
    if ((await this.job(name, id)) === undefined)
      throw new InvalidArgumentError(`no job ${JSON.stringify(id)} on queue ${name}`);
    const job = await queue.getJob(id);
    if (job === undefined) throw new InvalidArgumentError(`no job ${JSON.stringify(id)} on queue ${name}`);
    const state = await job.getState();
    if (state !== 'failed' && state !== 'completed') {
      throw new InvalidArgumentError(`job ${id} is ${state}: only failed or completed jobs can be retried`);
    }
    await job.retry(state);
  }

  async remove(name: string, id: string): Promise<boolean> {
    if ((await this.job(name, id)) === undefined) return false;
    return (await (await this.queue(name)).remove(id)) === 1;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#queues.values()].map((queue) => queue.close().catch(() => {})));
    this.#queues.clear();
  }
}

function inState(found: string, state: JobState): boolean {
  return (
    found === state || (state === 'waiting' && (found === 'prioritized' || found === 'waiting-children'))
  );
}

function time(text: string | undefined): number | undefined {
  const n = Number(text);
  return text !== undefined && text !== '' && Number.isFinite(n) && n > 0 ? n : undefined;
}
