/** The bench tasks as taskmill task references (public API only). */
import { tasks } from 'taskmill';

export const benchTasks = tasks<typeof import('./bench-tasks.js')>(
  new URL('./bench-tasks.js', import.meta.url),
);
