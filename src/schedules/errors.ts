/** Errors of schedules, each with a stable code. */
import { TaskmillError } from '../core/errors.js';

/** A schedule's options are wrong: an invalid cron pattern, `every` string or time zone. */
export class InvalidScheduleError extends TaskmillError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_TASKMILL_INVALID_SCHEDULE', message, options);
  }
}

/** No schedule of that id (it was removed, or never made on this pool's queue). */
export class ScheduleNotFoundError extends TaskmillError {
  readonly id: string;

  constructor(id: string, where: string) {
    super(
      'ERR_TASKMILL_SCHEDULE_NOT_FOUND',
      `no schedule ${JSON.stringify(id)} on ${where}: list them with pool.schedules() or \`taskmill queue schedules\``,
    );
    this.id = id;
  }
}
