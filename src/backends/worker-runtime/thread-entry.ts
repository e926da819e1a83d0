/**
 * Entry point of a worker thread of the `threads` backend. The pool passes a SharedArrayBuffer
 * counter in workerData: the loop bumps it as it takes each request, so that if the thread dies
 * the pool knows, at no message cost, which of the requests it had sent were never started.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ParentMessage, WorkerMessage } from './protocol.js';
import { WorkerLoop } from './worker-loop.js';

const port = parentPort;
if (port === null) throw new Error('thread-entry must run inside a worker thread started by taskmill');
const counter = new Int32Array((workerData as { started: SharedArrayBuffer }).started);

const loop = new WorkerLoop({
  canTransfer: true,
  send(message: WorkerMessage, transfer?: ArrayBuffer[]): void {
    if (transfer === undefined) port.postMessage(message);
    else port.postMessage(message, transfer);
  },
  markStarted(count: number): void {
    Atomics.store(counter, 0, count);
  },
});

port.on('message', (message: ParentMessage) => {
  if (message[0] === 'close') {
    port.close();
    process.exit(0);
  }
  loop.receive(message);
});
