/**
 * Polling for tests that wait on outside state (files, processes, HTTP answers) with a
 * deadline, so that a condition that never holds fails the test with a message saying what was
 * awaited instead of hanging until the runner's timeout.
 */

/** Raised when a polled condition did not hold before its deadline. */
export class PollTimeoutError extends Error {
  readonly code = 'ERR_TASKMILL_POLL_TIMEOUT';
  override name = 'PollTimeoutError';
}

export interface PollOptions {
  /** What is awaited, for the error message ("8 part files in /tmp/x"). */
  what: string;
  /** Give up after this long (default 60 s). */
  deadlineMs?: number;
  /** Pause between checks (default 20 ms). */
  everyMs?: number;
}

/**
 * Calls `check` until it returns a value other than `undefined`, and returns that value;
 * throws PollTimeoutError once `deadlineMs` has passed.
 */
export async function pollUntil<T>(
  check: () => T | undefined | Promise<T | undefined>,
  options: PollOptions,
): Promise<T> {
  const deadlineMs = options.deadlineMs ?? 60_000;
  const everyMs = options.everyMs ?? 20;
  const until = Date.now() + deadlineMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until)
      throw new PollTimeoutError(`${options.what}: not reached within ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
