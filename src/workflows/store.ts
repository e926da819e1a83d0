/**
 * Where a flow's progress is kept. Local backends keep it in memory (nothing to do: the run
 * itself holds it); the redis backend keeps it in Redis (redis-store.ts), so that another
 * process can reattach and resume it without recomputing finished nodes.
 */
import { InvalidArgumentError } from '../core/errors.js';

const FLOW_ID = /^[A-Za-z0-9_.@-]{1,100}$/;

export function validateFlowId(id: unknown): string {
  if (typeof id !== 'string' || !FLOW_ID.test(id)) {
    throw new InvalidArgumentError(
      `flow id ${JSON.stringify(id)} is not valid: pass handle.id of pool.submitFlow() (letters, digits, . _ - @)`,
    );
  }
  return id;
}

/** A job that carries some nodes of a flow (one node, or a chunk of them). */
export interface JobRecord {
  readonly jobId: string;
  readonly nodes: readonly number[];
  readonly attempt: number;
}

export type FlowOutcome =
  | { readonly state: 'fulfilled'; readonly value: unknown }
  | { readonly state: 'rejected'; readonly node: number; readonly attempts: number; readonly cause: unknown }
  | { readonly state: 'cancelled'; readonly reason: unknown };

export interface FlowStore {
  /** Job ids for the nodes' jobs (deterministic on Redis, so a resumed flow finds its jobs). */
  readonly namesJobs: boolean;
  /** Records which job carries which nodes, before the jobs are enqueued; resolves once written. */
  recordJobs(records: readonly JobRecord[]): Promise<void> | undefined;
  /** Records a finished node's result (written in batches). */
  recordResult(node: number, value: unknown): void;
  /** Records the flow's outcome, after every result recorded before it. */
  finish(outcome: FlowOutcome): Promise<void>;
}

/** Local backends: the run holds everything. */
export const MEMORY_STORE: FlowStore = {
  namesJobs: false,
  recordJobs: () => undefined,
  recordResult: () => {},
  finish: () => Promise.resolve(),
};
