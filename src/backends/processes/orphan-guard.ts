/**
 * Child processes never outlive the process that started them: each child exits when its IPC
 * channel closes, and, in case it cannot notice (a task stuck in a loop), every child still
 * alive is killed when this process exits.
 */
import type { ChildProcess } from 'node:child_process';

const alive = new Set<ChildProcess>();
let hooked = false;

function killAll(): void {
  for (const child of alive) {
    try {
      child.kill('SIGKILL');
    } catch {
      // Already gone.
    }
  }
  alive.clear();
}

export function killOnExit(child: ChildProcess): void {
  alive.add(child);
  if (!hooked) {
    hooked = true;
    process.on('exit', killAll);
  }
}

export function forgetOnExit(child: ChildProcess): void {
  alive.delete(child);
}
