/**
 * Fields of a BullMQ job's hash that taskmill reads or writes beside BullMQ's own:
 *  - `defa` (BullMQ's "deferred failure"): a job that carries one is failed with it by the
 *    worker that takes it, unrun. A caller that gives up on a job sets it (as a TaskAbortedError)
 *    so that a worker taking the job at that very moment does not run it;
 *  - `tmSuspect`: worker-process crashes the job was present at among other jobs;
 *  - `tmCrashes`: crashes of its worker process while it ran alone, so caused by it;
 *  - `tmAlone`: the lock token under which it is running alone now.
 * BullMQ hands a worker only the fields it knows, so the "run me alone" signal travels in the
 * job's data instead (`crashed`, see JobData).
 */
export const DEFERRED_FAILURE = 'defa';
export const SUSPECT = 'tmSuspect';
export const CRASHES = 'tmCrashes';
export const ALONE = 'tmAlone';

/** Sets field ARGV[1] to ARGV[2] on job hash KEYS[1] only if the job still exists (no stray hash). */
export const MARK_IF_EXISTS = `if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  return 1
end
return 0`;
