/**
 * What the supervisor does when its worker process died: find the jobs that process held
 * (active jobs whose lock token starts with its BullMQ id), decide which one crashed it, and
 * hand every job back at once (instead of waiting for the locks to expire) or, for a job that
 * has crashed its worker `maxCrashes` times running alone, fail it with WorkerCrashedError.
 *
 * Which job was it? If the process held one job, that one. If it held several and one was
 * running alone (it had been suspected before: job-marks.ts), that one. Otherwise each held
 * job is marked suspect and will run alone next time; an innocent one then simply completes.
 */
import { Job, type Queue, UnrecoverableError } from 'bullmq';
import type { Redis } from 'ioredis';
import { WorkerCrashedError } from '../core/errors.js';
import { encodeFailure } from './failure-codec.js';
import { ALONE, CRASHES, SUSPECT } from './job-marks.js';
import { jobKey } from './queue-keys.js';

/**
 * Active jobs held by the dead process: locked by a token starting with ARGV[2], or (their lock
 * expired already, e.g. while its event loop was stuck) with no lock and processed by worker
 * name ARGV[3]. Returns id, token ('0', BullMQ's "any", when the lock is gone), name and
 * alone-token of each.
 */
const HELD_BY = `local out = {}
for _, id in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  local key = ARGV[1] .. id
  local lock = redis.call('GET', key .. ':lock')
  local mine = lock and string.sub(lock, 1, #ARGV[2]) == ARGV[2]
  if not lock and redis.call('HGET', key, 'pb') == ARGV[3] then
    mine = true
    lock = '0'
  end
  if mine then
    local fields = redis.call('HMGET', key, 'name', '${ALONE}')
    table.insert(out, id)
    table.insert(out, lock)
    table.insert(out, fields[1] or '')
    table.insert(out, fields[2] or '')
  end
end
return out`;

export interface HeldJob {
  readonly id: string;
  readonly token: string;
  readonly task: string;
}

export interface CrashOutcome {
  /** Jobs handed back to the queue. */
  readonly requeued: readonly string[];
  /** Jobs failed with WorkerCrashedError. */
  readonly failed: readonly string[];
  /** The job held responsible, if one could be. */
  readonly culprit: string | undefined;
}

export interface CrashInfo {
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** Why, when the supervisor itself ended the process (it stopped responding). */
  readonly reason?: string;
}

export async function recoverCrashedJobs(
  client: Redis,
  queue: Queue,
  lockOwner: string,
  workerName: string,
  maxCrashes: number,
  crash: CrashInfo,
): Promise<CrashOutcome> {
  const prefix = jobKey(queue.opts.prefix ?? 'bull', queue.name, '');
  const flat = (await client.eval(
    HELD_BY,
    1,
    `${prefix}active`,
    prefix,
    `${lockOwner}:`,
    workerName,
  )) as string[];
  const held: (HeldJob & { alone: string })[] = [];
  for (let i = 0; i + 3 < flat.length; i += 4) {
    held.push({
      id: flat[i] as string,
      token: flat[i + 1] as string,
      task: flat[i + 2] as string,
      alone: flat[i + 3] as string,
    });
  }
  const culprit =
    held.length === 1
      ? held[0]
      : held.find((h) => h.alone !== '' && (h.alone === h.token || h.token === '0'));
  const requeued: string[] = [];
  const failed: string[] = [];
  for (const job of held) {
    const key = `${prefix}${job.id}`;
    if (culprit === undefined || job === culprit) {
      if (job === culprit) {
        const crashes = await client.hincrby(key, CRASHES, 1);
        if (crashes >= maxCrashes) {
          await failJob(queue, job, crashes, maxCrashes, crash);
          failed.push(job.id);
          continue;
        }
      } else await client.hincrby(key, SUSPECT, 1);
      await markToRunAlone(client, key);
    }
    // A job that was waiting behind the one running alone was not started: it goes back as it was.
    await new Job(queue, job.task, {}, {}, job.id).moveToWait(job.token).catch(() => {});
    requeued.push(job.id);
  }
  return { requeued, failed, culprit: culprit?.id };
}

/** Sets `crashed` in the job's data, which the next worker reads: it runs the job alone. */
async function markToRunAlone(client: Redis, key: string): Promise<void> {
  const text = await client.hget(key, 'data');
  let data: unknown;
  try {
    data = JSON.parse(text ?? '');
  } catch {
    return; // Unreadable data: the next worker fails it as malformed anyway.
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return;
  const record = data as { crashed?: unknown };
  record.crashed = (typeof record.crashed === 'number' ? record.crashed : 0) + 1;
  await client.hset(key, 'data', JSON.stringify(record));
}

async function failJob(
  queue: Queue,
  held: HeldJob,
  crashes: number,
  maxCrashes: number,
  crash: CrashInfo,
): Promise<void> {
  const error = new WorkerCrashedError([held.task], {
    exitCode: crash.exitCode,
    signal: crash.signal,
    what: 'worker process',
    cause: new Error(
      `job ${held.id} took its worker process down ${crashes} time(s) while running alone${crash.reason ? ` (${crash.reason})` : ''}; it is not run again (maxCrashes ${maxCrashes})`,
    ),
  });
  // The job as stored (its removeOnFail, attempts); its data, which may be unreadable, is not needed.
  const job =
    (await Job.fromId(queue, held.id).catch(() => undefined)) ?? new Job(queue, held.task, {}, {}, held.id);
  await job.moveToFailed(new UnrecoverableError(encodeFailure(error)), held.token, false).catch(() => {});
}
