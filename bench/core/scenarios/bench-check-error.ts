import { TaskmillError } from 'taskmill';

/** A contender produced wrong results, so its figure would mean nothing. */
export class BenchCheckError extends TaskmillError {
  constructor(message: string) {
    super(
      'ERR_TASKMILL_BENCH_CHECK',
      `${message}: the contender's results are wrong, so it gets no figure; fix it before comparing speed`,
    );
  }
}
