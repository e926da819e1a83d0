/**
 * BullMQ's Worker, with one change: a job whose stored data cannot be read is failed at once
 * instead of stalling for ever. BullMQ parses a job's data before any processor sees it; when
 * that throws (data that is not JSON, written by hand or by another client), the job stays
 * active with no lock renewal, is declared stalled, goes back to wait, and loops. Here it is
 * taken with empty data and marked to fail unrun, with a MalformedJobError that says why.
 */
import { type Job, type JobJson, Worker } from 'bullmq';
import { MalformedJobError } from './errors.js';
import { encodeFailure } from './failure-codec.js';

export class TaskmillBullWorker extends Worker {
  protected override createJob(data: JobJson, jobId: string): Job {
    let job: Job;
    try {
      job = super.createJob(data, jobId);
    } catch (error) {
      job = super.createJob({ ...data, data: '{}' }, jobId);
      const why = error instanceof Error ? error.message : String(error);
      job.deferredFailure = encodeFailure(
        new MalformedJobError(
          `job ${jobId} cannot be run: its data is not valid JSON (${why.slice(0, 200)}); enqueue it with pool.enqueue() or as { task: 'module#name', args: [...] }`,
        ),
      );
    }
    return job;
  }
}
