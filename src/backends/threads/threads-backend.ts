/** `threads` backend: being built (issue 2). */
import type { Backend, BackendOptions } from '../../core/backend.js';
import { InvalidArgumentError } from '../../core/errors.js';

export function createThreadsBackend(_options: BackendOptions): Backend {
  throw new InvalidArgumentError('the threads backend is not built yet');
}
