/**
 * CPU seconds used by this process (all its threads) plus its child processes: those still
 * running (read from /proc) and those that have exited (cutime/cstime). Linux gives all of it;
 * elsewhere only this process is counted.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

/** Fields after the `(name)` of /proc/PID/stat; index 0 is the state (field 3). */
function statFields(pid: number | 'self'): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

function livingChildren(): number[] {
  const pids: number[] = [];
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      const text = readFileSync(`/proc/self/task/${tid}/children`, 'utf8').trim();
      if (text !== '') pids.push(...text.split(' ').map(Number));
    }
  } catch {
    // no /proc: children are not counted
  }
  return pids;
}

/** CPU seconds of this process and its children, leaving out the processes in `exclude` (e.g. a server). */
export function cpuSeconds(exclude: ReadonlySet<number> = new Set()): number {
  const usage = process.cpuUsage();
  let seconds = (usage.user + usage.system) / 1e6;
  const self = statFields('self');
  // cutime and cstime (fields 16, 17): children that exited and were waited for.
  if (self !== undefined) seconds += (Number(self[13]) + Number(self[14])) / TICKS_PER_SECOND;
  for (const pid of livingChildren()) {
    if (exclude.has(pid)) continue;
    const fields = statFields(pid);
    // utime, stime, cutime, cstime (fields 14-17).
    if (fields !== undefined) {
      seconds +=
        (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) /
        TICKS_PER_SECOND;
    }
  }
  return seconds;
}
