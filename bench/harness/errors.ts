/** Errors of the benchmark runner, with stable codes. */
import { TaskmillError } from 'taskmill';

/** A command-line option the runner does not understand or cannot use. */
export class BenchUsageError extends TaskmillError {
  constructor(message: string) {
    super('ERR_TASKMILL_BENCH_USAGE', `${message} (run with --help for the options)`);
  }
}

/** One run of a contender failed: its child process threw, crashed, or ran out of time. */
export class ContenderRunError extends TaskmillError {
  constructor(message: string) {
    super('ERR_TASKMILL_BENCH_RUN', message);
  }
}
