/**
 * Idempotency keys of single calls (`task.with({ jobId })`). On Redis the key is the job's id
 * on the queue (redis-backend.ts); on the local backends a pool remembers the Job of each key it
 * saw, the most recent 10,000, so that a second call with a key attaches to the first's result.
 */
import { InvalidArgumentError } from '../core/errors.js';
import type { Job } from '../core/job.js';
import { isTaskRef, type Task } from '../core/task.js';

/** Keys a local pool remembers (as Redis keeps at most 10,000 finished jobs per queue by default). */
export const REMEMBERED_JOB_IDS = 10_000;

export function jobIdOf(task: Task<never[], unknown>): string | undefined {
  return isTaskRef(task) ? task.options.jobId : undefined;
}

/** A map call names many jobs: one key for all of them would make every item the first one's twin. */
export function refuseJobId(task: Task<never[], unknown>, method: string): void {
  const jobId = jobIdOf(task);
  if (jobId === undefined) return;
  throw new InvalidArgumentError(
    `${method}() runs many calls, and jobId ${JSON.stringify(jobId)} names one: give jobId to apply() or submit() (one key per call), not to ${method}()`,
  );
}

export class RecentJobs {
  readonly #jobs = new Map<string, Job<unknown>>();

  get(id: string): Job<unknown> | undefined {
    return this.#jobs.get(id);
  }

  remember(id: string, job: Job<unknown>): void {
    this.#jobs.delete(id);
    this.#jobs.set(id, job);
    if (this.#jobs.size > REMEMBERED_JOB_IDS) {
      const oldest = this.#jobs.keys().next().value;
      if (oldest !== undefined) this.#jobs.delete(oldest);
    }
  }
}
