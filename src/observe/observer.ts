/**
 * The one hook the Pool gives observers (metrics, tracing, the dashboard): it calls `submitted`
 * when a request joins its queue, `started` when a backend takes it and `settled` once it ended
 * (also for requests dropped before they started). A pool with no observer pays one
 * `undefined` check per step. A request carries one call, or a batch of map items.
 */
import type { ExecRequest, ExecResult } from '../core/backend.js';

export interface PoolObserver {
  submitted(request: ExecRequest): void;
  started(request: ExecRequest): void;
  /** `result` when the backend answered (items may still have failed: `result.errors`), else `error`. */
  settled(request: ExecRequest, result: ExecResult | undefined, error: unknown): void;
}

/** Several observers as one (none: undefined, so the pool keeps its fast path). */
export function combineObservers(list: readonly PoolObserver[]): PoolObserver | undefined {
  if (list.length === 0) return undefined;
  if (list.length === 1) return list[0];
  return {
    submitted(request) {
      for (const observer of list) observer.submitted(request);
    },
    started(request) {
      for (const observer of list) observer.started(request);
    },
    settled(request, result, error) {
      for (const observer of list) observer.settled(request, result, error);
    },
  };
}
