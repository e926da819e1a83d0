/**
 * Runs a worker until SIGTERM or SIGINT, as `taskmill worker` does: the first signal stops
 * taking jobs and lets those in flight finish (up to the grace period, then hands them back);
 * a second signal hands them back at once. Exits with status 0 once everything is released.
 */
import { type RedisWorker, startWorker, type WorkerOptions } from './worker.js';

export async function runWorkerUntilSignal(
  options: WorkerOptions,
  onReady?: (worker: RedisWorker) => void,
): Promise<void> {
  const worker = await startWorker(options);
  onReady?.(worker);
  await new Promise<void>((resolve) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals++;
      if (signals === 1) {
        options.log?.(
          `received ${signal}: finishing the jobs in flight (send it again to hand them back now)`,
        );
        worker.close().then(resolve, resolve);
      } else {
        options.log?.(`received ${signal} again: handing the jobs in flight back to the queue`);
        worker.handBack();
      }
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
