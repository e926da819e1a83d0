/**
 * The one hook the Pool gives observers (metrics, tracing, the dashboard): it calls `submitted`
 * when a request joins its queue, `started` when a backend takes it and `settled` once it ended
 * (also for requests dropped before they started). A pool with no observer pays one
 * `undefined` check per step. A request carries one call, or a batch of map items.
 */
import type { ExecRequest, ExecResult } from '../core/backend.js';

/** A request in the pool, with one slot an observer may keep its own data in (metrics do). */
export interface ObservedEntry {
  readonly request: ExecRequest;
  observed: unknown;
}

export interface PoolObserver {
  submitted(entry: ObservedEntry): void;
  started(entry: ObservedEntry): void;
  /** `result` when the backend answered (items may still have failed: `result.errors`), else `error`. */
  settled(entry: ObservedEntry, result: ExecResult | undefined, error: unknown): void;
}

/** Several observers as one (none: undefined, so the pool keeps its fast path). */
export function combineObservers(list: readonly PoolObserver[]): PoolObserver | undefined {
  if (list.length === 0) return undefined;
  if (list.length === 1) return list[0];
  return {
    submitted(entry) {
      for (let i = 0; i < list.length; i++) (list[i] as PoolObserver).submitted(entry);
    },
    started(entry) {
      for (let i = 0; i < list.length; i++) (list[i] as PoolObserver).started(entry);
    },
    settled(entry, result, error) {
      for (let i = 0; i < list.length; i++) (list[i] as PoolObserver).settled(entry, result, error);
    },
  };
}
