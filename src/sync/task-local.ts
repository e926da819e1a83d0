/**
 * A value private to the task that sets it (Python's `contextvars.ContextVar`, per task): many
 * tasks running at once on the async backend each see their own value, across every `await`.
 * Outside a task, `get()` gives the default. For one value per WORKER (a connection, a session),
 * use the pool's initializer and `workerContext()` instead.
 *
 * ```ts
 * const requestId = new TaskLocal<string>();
 * export async function handle(id: string) {
 *   requestId.set(id);
 *   await step();            // step() can call requestId.get() and sees this task's id
 * }
 * ```
 */
import { InvalidArgumentError } from '../core/errors.js';
import { currentTask } from '../core/task-context.js';

export class TaskLocal<T> {
  readonly #default: T | undefined;
  /** Keyed by the task's AbortSignal (one per running call) and its index within a map batch. */
  readonly #values = new WeakMap<AbortSignal, Map<number, T>>();

  constructor(defaultValue?: T) {
    this.#default = defaultValue;
  }

  /** This task's value, or the default when it has set none (or when called outside a task). */
  get(): T | undefined {
    const task = currentTask();
    if (task === undefined) return this.#default;
    const byIndex = this.#values.get(task.signal);
    const index = task.index ?? 0;
    return byIndex?.has(index) ? (byIndex.get(index) as T) : this.#default;
  }

  /** Sets this task's value; other tasks are not affected. */
  set(value: T): void {
    const task = currentTask();
    if (task === undefined) {
      throw new InvalidArgumentError(
        'TaskLocal.set() was called outside a task; set it from inside a task function (a value for the whole worker belongs in the pool initializer)',
      );
    }
    let byIndex = this.#values.get(task.signal);
    if (byIndex === undefined) this.#values.set(task.signal, (byIndex = new Map()));
    byIndex.set(task.index ?? 0, value);
  }
}
