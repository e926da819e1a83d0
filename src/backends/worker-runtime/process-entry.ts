/**
 * Entry point of a child process of the `processes` backend. The process never outlives its
 * pool: it exits as soon as the IPC channel to its parent closes (the parent exited, crashed or
 * closed the pool). An error that escapes a task is reported to the parent before exiting, so
 * the WorkerCrashedError it raises can name the cause.
 */
import { Worker } from 'node:worker_threads';
import { serializeError } from '../../core/error-codec.js';
import { claim, newClaimTable } from './claim-table.js';
import { workerEntry } from './entry-location.js';
import type { ParentMessage, WorkerMessage } from './protocol.js';
import { WorkerLoop } from './worker-loop.js';

if (typeof process.send !== 'function') {
  throw new Error('process-entry must run in a child process forked by taskmill (it needs an IPC channel)');
}
const send = process.send.bind(process);
const claims = newClaimTable();

/** The pool's revoke requests arrive on fd 4 and are answered by the steward thread (steward.ts). */
const STEWARD_FD = 4;
const stewardAt = workerEntry('steward');
const steward = new Worker(stewardAt.start, {
  workerData: { claims: claims.buffer, fd: STEWARD_FD, taskmillEntry: stewardAt.entry },
  stdout: false,
  stderr: false,
});
steward.unref();

const loop = new WorkerLoop({
  canTransfer: false,
  send(message: WorkerMessage): void {
    send(message);
  },
  claim: (seq: number) => claim(claims, seq),
});

process.on('message', (message: ParentMessage) => {
  if (message[0] === 'close') {
    process.disconnect();
    return;
  }
  loop.receive(message);
});
process.on('disconnect', () => process.exit(0));
process.on('uncaughtException', (error) => {
  const report: WorkerMessage = ['fatal', serializeError(error), 'crash'];
  try {
    send(report, undefined, undefined, () => process.exit(70));
  } catch {
    process.exit(70);
  }
});
