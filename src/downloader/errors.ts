/** Errors of the downloader and crawler, with stable codes. Messages say what went wrong and the fix. */
import { TaskmillError } from '../core/errors.js';

/** The list of things to download could not be obtained (API refused, unreachable, empty). */
export class DownloadSourceError extends TaskmillError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_TASKMILL_DOWNLOAD_SOURCE', message, options);
  }
}

/** The output folder cannot be created or written. */
export class OutputFolderError extends TaskmillError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_TASKMILL_OUTPUT_FOLDER', message, options);
  }
}

/** A failure of one download attempt; `retryable` says whether trying again may help. */
export class AttemptError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  readonly status: number | undefined;
  /** Milliseconds the server asked us to wait (Retry-After). */
  readonly retryAfter: number | undefined;

  constructor(
    code: string,
    message: string,
    detail: { retryable: boolean; status?: number; retryAfter?: number; cause?: unknown },
  ) {
    super(message, { cause: detail.cause });
    this.code = code;
    this.retryable = detail.retryable;
    this.status = detail.status;
    this.retryAfter = detail.retryAfter;
  }
}

/** Limits shared through Redis (the redis backend) cannot be kept where the task runs. */
export class SharedLimitsError extends TaskmillError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_TASKMILL_SHARED_LIMITS', message, options);
  }
}

/** `--backend redis`: no worker took the run's jobs within `waitForWorker` seconds. */
export class NoWorkerError extends TaskmillError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_TASKMILL_NO_WORKER', message, options);
  }
}
