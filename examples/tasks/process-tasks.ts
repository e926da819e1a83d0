/**
 * Task of the process-basics example: the seed's run_proc(name). It runs in a child process
 * and says where it ran: its own pid and its parent's.
 */

export interface WhereItRan {
  readonly name: string;
  readonly pid: number;
  readonly parentPid: number;
}

export function runProc(name: string): WhereItRan {
  return { name, pid: process.pid, parentPid: process.ppid };
}
