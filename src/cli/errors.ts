/** How the CLI reports errors: one clear line for expected problems, a stack only for bugs. */
import { InvalidArgumentError, TaskmillError } from '../core/errors.js';

/** A usage problem detected by a command (bad flag value, missing input): exit status 2. */
export class UsageError extends TaskmillError {
  constructor(message: string) {
    super('ERR_TASKMILL_USAGE', message);
  }
}

/** Prints `error` for a person and returns the exit status to use. */
export function reportFatal(error: unknown): number {
  if (error instanceof UsageError || error instanceof InvalidArgumentError) {
    process.stderr.write(`taskmill: ${error.message}\n`);
    return 2;
  }
  if (error instanceof TaskmillError) {
    process.stderr.write(`taskmill: ${error.message}\n`);
    return 1;
  }
  const systemCode = (error as { code?: unknown }).code;
  if (error instanceof Error && typeof systemCode === 'string' && /^E[A-Z]+$/.test(systemCode)) {
    process.stderr.write(`taskmill: ${error.message}\n`);
    return 1;
  }
  process.stderr.write(
    `taskmill: unexpected error (please report it):\n${error instanceof Error ? error.stack : String(error)}\n`,
  );
  return 1;
}
