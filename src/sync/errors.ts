/** Errors raised by the synchronisation primitives; each has a stable `code`. */
import { TaskmillError } from '../core/errors.js';

/** A wait (queue put/get/join, lock or semaphore acquire) was cancelled by its AbortSignal. */
export class WaitAbortedError extends TaskmillError {
  constructor(what: string, reason: unknown) {
    super(
      'ERR_TASKMILL_WAIT_ABORTED',
      `${what} was aborted${describeReason(reason)}; nothing was added, taken or acquired`,
      { cause: reason },
    );
  }
}

/** The queue was closed: no more puts; gets fail once the remaining items are drained. */
export class QueueClosedError extends TaskmillError {
  constructor(what: 'put' | 'get') {
    super(
      'ERR_TASKMILL_QUEUE_CLOSED',
      what === 'put'
        ? 'cannot put: the queue is closed; put every item before calling close()'
        : 'cannot get: the queue is closed and empty; stop consuming (for await … of queue ends by itself)',
    );
  }
}

/** `taskDone()` was called more times than items were put. */
export class TaskDoneTooManyError extends TaskmillError {
  constructor() {
    super(
      'ERR_TASKMILL_TASK_DONE_TOO_MANY',
      'taskDone() was called more times than items were taken; call it exactly once per item you got',
    );
  }
}

/** A shared lock was released while it was not held. */
export class LockNotHeldError extends TaskmillError {
  constructor() {
    super(
      'ERR_TASKMILL_LOCK_NOT_HELD',
      'release() was called on a lock that is not held; release only what acquire() gave you (the release it returns is safe to call twice)',
    );
  }
}

function describeReason(reason: unknown): string {
  if (reason === undefined) return '';
  if (reason instanceof Error) return `: ${reason.message}`;
  return `: ${String(reason)}`;
}
