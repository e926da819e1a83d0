/**
 * `taskmill/task`: the small, light API a task module imports — what a running task can see
 * of its surroundings. It loads no backend, HTTP, HTML or Redis code, so importing it costs a
 * worker next to nothing. (Everything here is also exported from the main entry point.)
 */
export {
  InvalidArgumentError,
  TaskAbortedError,
  TaskmillError,
  TaskTimeoutError,
} from './core/errors.js';
export {
  type CurrentTask,
  currentTask,
  type ProgressUpdate,
  reportProgress,
  workerContext,
} from './core/task-context.js';
export { move } from './core/transfer.js';
// Shared memory across worker threads: a task rebuilds what the caller passed as a handle.
export { AtomicCounter, type AtomicCounterHandle } from './sync/atomic-counter.js';
export { SharedLock, type SharedLockHandle } from './sync/shared-lock.js';
export { TaskLocal } from './sync/task-local.js';
