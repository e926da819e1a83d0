/** Jobs on a distributed queue (redis backend), as Job handles. */
import type { BackendName, RemoteJob } from '../core/backend.js';
import { InvalidArgumentError, TaskAbortedError } from '../core/errors.js';
import type { Job } from '../core/job.js';

export function needsRedis(method: string, backend: BackendName): InvalidArgumentError {
  return new InvalidArgumentError(
    `pool.${method}() needs backend 'redis' (this pool runs on '${backend}'): use new Pool({ backend: 'redis', connection, queue }), or submit() for a local job`,
  );
}

/** Makes `job` follow `remote`: its outcome, and cancel() reaching the queue. */
export function adoptRemote(job: Job<unknown>, remote: RemoteJob): void {
  job._attach({
    cancel: (reason) => {
      remote.cancel(new TaskAbortedError(remote.task, reason));
      return true;
    },
  });
  job._started();
  remote.result.then(
    (value) => job._resolve(value),
    (error: unknown) => job._reject(error),
  );
}
