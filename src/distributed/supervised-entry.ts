/**
 * The child process of a supervised worker (supervisor.ts): runs the worker here, reports to
 * its supervisor over IPC (ready, log lines, a heartbeat with the jobs processed), and obeys
 * close / hand back. If the supervisor goes away, it hands its jobs back and exits.
 */
import { serializeError } from '../core/error-codec.js';
import { type LocalWorker, runWorkerHere } from './local-worker.js';
import { BEAT_MS } from './supervised-entry-constants.js';
import type { ChildMessage, SupervisorMessage } from './supervisor.js';

const send = (message: ChildMessage) => {
  if (process.connected) process.send?.(message);
};

let worker: LocalWorker | undefined;
let stopping = false;

const stop = async (code: number) => {
  if (stopping) return;
  stopping = true;
  await worker?.close().catch(() => {});
  send(['closed', worker?.processed ?? 0]);
  process.exit(code);
};

process.on('message', (message: SupervisorMessage) => {
  switch (message[0]) {
    case 'start':
      runWorkerHere(message[1], (line) => send(['log', line]), message[2]).then(
        (started) => {
          worker = started;
          send(['ready', started.lockOwner, started.metricsUrl]);
          let beats = 0;
          setInterval(() => {
            send(['beat', started.processed]);
            // Metrics a little less often: the supervisor's metrics() answers from the last copy.
            if (beats++ % 4 === 0) send(['metrics', started.metrics()]);
          }, BEAT_MS);
        },
        (error: unknown) => {
          send(['failed', serializeError(error)]);
          process.exit(1);
        },
      );
      return;
    case 'close':
      void stop(0);
      return;
    case 'handBack':
      worker?.handBack();
      return;
  }
});

process.on('disconnect', () => {
  worker?.handBack();
  void stop(0);
});
// Signals go to the supervisor, which tells this process what to do.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});
