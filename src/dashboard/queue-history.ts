/**
 * Recent history of each queue for its chart: every sample holds waiting and active jobs and the
 * rates at which jobs completed and failed since the previous one. Rates come from the workers'
 * own done/failed totals (finished-job sets are trimmed by keepCompleted, so their sizes do not
 * say how many finished); a worker's first sample, or a restart, adds nothing.
 */
import type { QueueCounts, WorkerInfo } from './redis-reader.js';

/** [ms since epoch, waiting, active, completed per second, failed per second]. */
export type HistoryPoint = [
  at: number,
  waiting: number,
  active: number,
  completedPerSec: number,
  failedPerSec: number,
];

export class QueueHistory {
  readonly #points: HistoryPoint[] = [];
  readonly #last = new Map<string, { done: number; failed: number }>();
  #lastAt = 0;

  constructor(readonly keep = 600) {}

  add(at: number, counts: QueueCounts, workers: readonly WorkerInfo[]): HistoryPoint {
    let done = 0;
    let failed = 0;
    for (const worker of workers) {
      const before = this.#last.get(worker.id);
      if (before !== undefined) {
        done += Math.max(0, worker.done - before.done);
        failed += Math.max(0, worker.failed - before.failed);
      }
      this.#last.set(worker.id, { done: worker.done, failed: worker.failed });
    }
    const seconds = this.#lastAt === 0 ? 0 : (at - this.#lastAt) / 1000;
    this.#lastAt = at;
    const point: HistoryPoint = [
      at,
      counts.waiting,
      counts.active,
      seconds > 0 ? round(done / seconds) : 0,
      seconds > 0 ? round(failed / seconds) : 0,
    ];
    this.#points.push(point);
    if (this.#points.length > this.keep) this.#points.splice(0, this.#points.length - this.keep);
    return point;
  }

  points(): readonly HistoryPoint[] {
    return this.#points;
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
