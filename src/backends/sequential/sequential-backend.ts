/** `sequential`: one task at a time in this thread — the baseline every other backend is measured against. */
import type { Backend, BackendOptions } from '../../core/backend.js';
import { InProcessBackend } from '../in-process/in-process-backend.js';

export function createSequentialBackend(options: BackendOptions): Backend {
  return new InProcessBackend('sequential', 1, Number.POSITIVE_INFINITY, options);
}
