/** Test helper: waits for a schedule's next events, by name. */
import type { Schedule, ScheduleMissed, ScheduleRun } from '../schedule.js';

/** The next `count` events of `name` on `schedule`. */
export function next(schedule: Schedule, name: 'run', count?: number): Promise<ScheduleRun[]>;
export function next(schedule: Schedule, name: 'missed', count?: number): Promise<ScheduleMissed[]>;
export function next(schedule: Schedule, name: 'run' | 'missed', count = 1): Promise<unknown[]> {
  const events = schedule as unknown as NodeJS.EventEmitter;
  return new Promise((resolve) => {
    const seen: unknown[] = [];
    const listener = (event: unknown) => {
      seen.push(event);
      if (seen.length === count) {
        events.off(name, listener);
        resolve(seen);
      }
    };
    events.on(name, listener);
  });
}
