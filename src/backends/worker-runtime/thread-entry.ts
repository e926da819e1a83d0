/**
 * Entry point of a worker thread of the `threads` backend. The pool passes the claim table (a
 * SharedArrayBuffer, see protocol.ts) in workerData: the loop claims each request before
 * starting it, so that the pool knows, at no message cost, which requests were never started
 * (to re-run them if the thread dies) and can take back those still queued.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { claim } from './claim-table.js';
import type { ParentMessage, WorkerMessage } from './protocol.js';
import { WorkerLoop } from './worker-loop.js';

const port = parentPort;
if (port === null) throw new Error('thread-entry must run inside a worker thread started by taskmill');
const claims = new Int32Array((workerData as { claims: SharedArrayBuffer }).claims);

const loop = new WorkerLoop({
  canTransfer: true,
  send(message: WorkerMessage, transfer?: ArrayBuffer[]): void {
    if (transfer === undefined) port.postMessage(message);
    else port.postMessage(message, transfer);
  },
  claim: (seq: number) => claim(claims, seq),
});

port.on('message', (message: ParentMessage) => {
  if (message[0] === 'close') {
    port.close();
    process.exit(0);
  }
  loop.receive(message);
});
