/**
 * What the shared pool logic (worker-pool-backend.ts) needs of one worker, thread or process.
 * threads-backend.ts and processes-backend.ts each implement it over their own primitive.
 */
import type { ParentMessage, WorkerMessage } from './protocol.js';

export interface WorkerEvents {
  message(message: WorkerMessage): void;
  /** An error the runtime reports about the worker (uncaught error, out of memory). */
  error(error: Error): void;
  /** The worker is gone; no message arrives after this. */
  exit(exitCode: number | null, signal: string | null): void;
}

export interface WorkerHandle {
  /** Thread id or process id, for messages. */
  readonly id: number;
  send(message: ParentMessage, transfer?: ArrayBuffer[]): void;
  /**
   * The claim table shared with the worker (threads; see protocol.ts): which requests it has
   * taken and started, read and revoked without a message. Undefined for child processes.
   */
  readonly claims?: Int32Array;
  /** Keep the owner's event loop alive (the worker has work) or not (it is idle). */
  ref(): void;
  unref(): void;
  /** Asks the worker to exit once it has read what was sent. */
  close(): void;
  /** Ends the worker at once. */
  kill(): void;
}

export interface WorkerFactory {
  /** Human name of one worker, for errors: `worker thread`, `child process`. */
  readonly what: string;
  readonly canTransfer: boolean;
  start(events: WorkerEvents): WorkerHandle;
}
