/**
 * Killing a command together with everything it started. On POSIX each command is spawned as
 * the leader of its own process group (`detached`), so one signal to the group (negative pid)
 * reaches its children and grandchildren too; killing only the leader would leave them running,
 * still holding the output pipes open. On Windows, `taskkill /T` walks the tree.
 *
 * Groups still alive when this process exits are killed then, since a detached group no longer
 * receives the terminal's Ctrl-C.
 */
import { spawn } from 'node:child_process';

const live = new Set<number>();
let exitHookInstalled = false;

export const ownProcessGroup = process.platform !== 'win32';

/** Remembers a started command so that it does not outlive this process. */
export function trackTree(pid: number): void {
  live.add(pid);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const leader of live) signalTree(leader, 'SIGKILL');
    });
  }
}

/** Forgets a command whose group is gone. */
export function untrackTree(pid: number): void {
  live.delete(pid);
}

/** Sends `signal` to the command and every process in its group; quietly does nothing if it is gone. */
export function signalTree(pid: number, signal: NodeJS.Signals): void {
  if (!ownProcessGroup) {
    const killer = spawn('taskkill', ['/pid', String(pid), '/T', '/F'], {
      stdio: 'ignore',
      windowsHide: true,
    });
    killer.on('error', () => {});
    return;
  }
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}
