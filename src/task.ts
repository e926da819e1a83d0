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
export { TaskLocal } from './sync/task-local.js';
