/** Errors of the redis backend and `taskmill worker`, each with a stable code. */
import { TaskmillError } from '../core/errors.js';

/** Arguments or a result are bigger than the queue accepts (`maxPayloadBytes`). */
export class PayloadTooLargeError extends TaskmillError {
  readonly size: number;
  readonly limit: number;

  constructor(what: string, size: number, limit: number) {
    super(
      'ERR_TASKMILL_PAYLOAD_TOO_LARGE',
      `${what} take ${size} bytes encoded, over the limit of ${limit}: pass a path or URL to the data instead, or raise maxPayloadBytes (on the pool and --max-payload on the worker)`,
    );
    this.size = size;
    this.limit = limit;
  }
}

/** Redis cannot be reached, or refused the credentials. The message never holds a password. */
export class RedisConnectionError extends TaskmillError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_TASKMILL_REDIS_CONNECTION', message, options);
  }
}

/** A job on the queue is not one a taskmill worker can run (its data is not JSON, names no task, has no argument list). */
export class MalformedJobError extends TaskmillError {
  constructor(message: string) {
    super('ERR_TASKMILL_MALFORMED_JOB', message);
  }
}
