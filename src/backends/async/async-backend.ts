/**
 * `async`: many tasks at once on the event loop, at most `concurrency` in flight — the seeds'
 * asyncio with a Semaphore. For I/O-bound work (downloads, API calls), not for CPU-bound work.
 */
import type { Backend, BackendOptions } from '../../core/backend.js';
import { InProcessBackend } from '../in-process/in-process-backend.js';

export function createAsyncBackend(options: BackendOptions): Backend {
  return new InProcessBackend('async', options.concurrency, 1, options);
}
