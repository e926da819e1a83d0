/**
 * A sleep (of any length) that an AbortSignal ends early. Every sleep on one signal shares one listener on it
 * (src/pool/abort-links.ts): a rate-limited download of thousands of files keeps its waits on
 * the run's one signal without Node's MaxListenersExceededWarning.
 */
import { startTimer } from '../core/long-timer.js';
import { linkAbort, unlinkAbort } from '../pool/abort-links.js';

export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortError(signal.reason));
  if (ms <= 0) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const target = {
      aborted(reason: unknown) {
        timer.clear();
        reject(abortError(reason));
      },
    };
    const timer = startTimer(
      () => {
        if (signal !== undefined) unlinkAbort(signal, target);
        resolve();
      },
      ms,
      false,
    );
    if (signal !== undefined) linkAbort(signal, target);
  });
}

function abortError(reason: unknown): Error {
  const error = new Error('The operation was aborted', { cause: reason });
  error.name = 'AbortError';
  return error;
}
