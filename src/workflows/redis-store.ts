/**
 * A flow's state in Redis, beside its queue (`<prefix>:<queue>:taskmill:flow:<id>:*`), so that
 * the flow outlives its caller: any process reattaches with `pool.flow(id)` and resumes it.
 *
 * - `meta` (hash): the flow's spec (spec-codec.ts), the state (running, fulfilled, rejected, cancelled), the
 *   result or the failure.
 * - `results` (hash): node -> its result, written once (HSETNX): a resumed flow never recomputes it.
 * - `jobs` (hash): job id -> the nodes it carries and their attempt, written before the job is
 *   enqueued: a resumed flow follows those very jobs (same ids) instead of enqueueing them again.
 *
 * Writes are batched: every result and job record of a tick goes in one pipeline.
 */
import type { Redis } from 'ioredis';
import type { TaskRef } from '../core/task.js';
import { decodeFailure, encodeFailure } from '../distributed/failure-codec.js';
import { decodeValue, encodeValue } from '../distributed/wire-codec.js';
import type { FlowSpec } from './spec.js';
import { packSpec, unpackSpec } from './spec-codec.js';
import type { FlowOutcome, FlowStore, JobRecord } from './store.js';

/** Finished flows stay this long (seconds) for pool.flow(id) to read. */
export const FINISHED_TTL_S = 7 * 24 * 3600;
/** A flow nobody finishes (its caller died, nobody reattached) is dropped after this long (seconds). */
export const RUNNING_TTL_S = 30 * 24 * 3600;

function keys(prefix: string, queue: string, id: string) {
  const base = `${prefix}:${queue}:taskmill:flow:${id}`;
  return { meta: `${base}:meta`, results: `${base}:results`, jobs: `${base}:jobs` };
}

/** What Redis holds of a flow. */
export interface StoredFlow {
  /** The flow as submitted (task references rebuilt from their ids): compile it for its nodes. */
  readonly spec: FlowSpec;
  readonly state: 'running' | 'fulfilled' | 'rejected' | 'cancelled';
  readonly value?: unknown;
  readonly failure?: { readonly node: number; readonly attempts: number; readonly cause: Error };
  readonly reason?: string;
  readonly results: Map<number, unknown>;
  readonly jobs: JobRecord[];
}

export class RedisFlowStore implements FlowStore {
  readonly namesJobs = true;
  readonly #client: Redis;
  readonly #keys: ReturnType<typeof keys>;
  #results: (string | number)[] = [];
  #flushQueued = false;

  constructor(client: Redis, prefix: string, queue: string, id: string) {
    this.#client = client;
    this.#keys = keys(prefix, queue, id);
  }

  /** Writes a new flow (running). */
  async create(spec: FlowSpec): Promise<void> {
    await this.#client
      .multi()
      .hset(this.#keys.meta, {
        spec: JSON.stringify(packSpec(spec)),
        state: 'running',
        created: Date.now(),
      })
      .expire(this.#keys.meta, RUNNING_TTL_S)
      .exec()
      .then(check);
  }

  recordJobs(records: readonly JobRecord[]): Promise<void> {
    const pipeline = this.#withResults();
    const fields: string[] = [];
    for (const { jobId, nodes, attempt } of records) fields.push(jobId, JSON.stringify({ nodes, attempt }));
    pipeline.hset(this.#keys.jobs, ...fields);
    pipeline.expire(this.#keys.jobs, RUNNING_TTL_S);
    return pipeline.exec().then(check);
  }

  recordResult(node: number, value: unknown): void {
    this.#results.push(node, JSON.stringify(encodeValue(value, 'result')));
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    setImmediate(() => {
      if (this.#results.length > 0)
        void this.#withResults()
          .exec()
          .catch(() => {});
    });
  }

  finish(outcome: FlowOutcome): Promise<void> {
    const pipeline = this.#withResults();
    const fields: Record<string, string> = { state: outcome.state, finished: String(Date.now()) };
    if (outcome.state === 'fulfilled') fields.value = JSON.stringify(encodeValue(outcome.value, 'result'));
    else if (outcome.state === 'rejected') {
      fields.failure = JSON.stringify({
        node: outcome.node,
        attempts: outcome.attempts,
        cause: encodeFailure(outcome.cause),
      });
    } else fields.reason = outcome.reason instanceof Error ? outcome.reason.message : String(outcome.reason);
    pipeline.hset(this.#keys.meta, fields);
    for (const key of Object.values(this.#keys)) pipeline.expire(key, FINISHED_TTL_S);
    return pipeline.exec().then(check);
  }

  /** A pipeline that starts with the results waiting to be written (so they land first). */
  #withResults(): ReturnType<Redis['pipeline']> {
    this.#flushQueued = false;
    const pipeline = this.#client.pipeline();
    const results = this.#results;
    this.#results = [];
    // HSETNX per node: a result already there (another caller's) stays as it was.
    for (let i = 0; i < results.length; i += 2)
      pipeline.hsetnx(this.#keys.results, String(results[i]), results[i + 1] as string);
    if (results.length > 0) pipeline.expire(this.#keys.results, RUNNING_TTL_S);
    return pipeline;
  }

  /** Reads a flow; undefined when Redis does not hold it. */
  static async load(
    client: Redis,
    prefix: string,
    queue: string,
    id: string,
    refFor: (taskId: string) => TaskRef,
  ): Promise<StoredFlow | undefined> {
    const k = keys(prefix, queue, id);
    const [meta, results, jobs] = await Promise.all([
      client.hgetall(k.meta),
      client.hgetall(k.results),
      client.hgetall(k.jobs),
    ]);
    if (meta.spec === undefined) return undefined;
    const spec = unpackSpec(JSON.parse(meta.spec), refFor);
    const state = (meta.state ?? 'running') as StoredFlow['state'];
    const out: {
      -readonly [K in keyof StoredFlow]: StoredFlow[K];
    } = { spec, state, results: new Map(), jobs: [] };
    for (const [node, text] of Object.entries(results))
      out.results.set(Number(node), decodeValue(JSON.parse(text)));
    for (const [jobId, text] of Object.entries(jobs)) {
      const { nodes, attempt } = JSON.parse(text) as { nodes: number[]; attempt: number };
      out.jobs.push({ jobId, nodes, attempt });
    }
    if (meta.value !== undefined) out.value = decodeValue(JSON.parse(meta.value));
    if (meta.failure !== undefined) {
      const { node, attempts, cause } = JSON.parse(meta.failure) as {
        node: number;
        attempts: number;
        cause: string;
      };
      out.failure = { node, attempts, cause: decodeFailure(cause) };
    }
    if (meta.reason !== undefined) out.reason = meta.reason;
    return out;
  }
}

function check(replies: [Error | null, unknown][] | null): void {
  for (const [error] of replies ?? []) if (error !== null) throw error;
}
