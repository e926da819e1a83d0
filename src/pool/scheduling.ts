/** What the Pool takes from src/schedules: schedules (pool.schedule) and idempotency keys (jobId). */
export { jobIdOf, RecentJobs, refuseJobId } from '../schedules/job-ids.js';
export { PoolSchedules } from '../schedules/pool-schedules.js';
export type { Schedule, ScheduleInfo } from '../schedules/schedule.js';
export type { ScheduleOptions } from '../schedules/spec.js';
