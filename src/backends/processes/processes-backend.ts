/**
 * `processes` backend: tasks run in child processes forked from this one, talking over an IPC
 * channel with Node's advanced (structured clone) serialization. Buffers are copied (memory
 * cannot move between processes). A child never outlives its pool's process: it exits when
 * the IPC channel closes, and any child still alive is killed when this process exits.
 *
 * A child cannot tell its parent which request it started without a message per request, so
 * when one dies the oldest request it held is taken as started (it fails with
 * WorkerCrashedError) and the others are sent again; a child that dies before its initializer
 * finished started none.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Backend, BackendOptions } from '../../core/backend.js';
import { workerEntry } from '../worker-runtime/entry-location.js';
import type { WorkerEvents, WorkerFactory, WorkerHandle } from '../worker-runtime/worker-handle.js';
import { WorkerPoolBackend } from '../worker-runtime/worker-pool-backend.js';
import { inheritedExecArgv } from './exec-argv.js';
import { forgetOnExit, killOnExit } from './orphan-guard.js';

export function createProcessesBackend(options: BackendOptions): Backend {
  return new WorkerPoolBackend('processes', new ProcessFactory(options), options);
}

class ProcessFactory implements WorkerFactory {
  readonly what = 'child process';
  readonly canTransfer = false;
  readonly #execArgv: string[];
  readonly #env: NodeJS.ProcessEnv;

  constructor(options: BackendOptions) {
    this.#execArgv = Array.isArray(options.execArgv)
      ? [...(options.execArgv as string[])]
      : inheritedExecArgv();
    this.#env = (options.env as NodeJS.ProcessEnv | undefined) ?? process.env;
  }

  start(events: WorkerEvents): WorkerHandle {
    const location = workerEntry('process-entry');
    const child: ChildProcess = fork(fileURLToPath(location.start), location.entry ? [location.entry] : [], {
      serialization: 'advanced',
      execArgv: this.#execArgv,
      env: this.#env,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    killOnExit(child);
    let exited = false;
    const exit = (code: number | null, signal: string | null): void => {
      if (exited) return;
      exited = true;
      forgetOnExit(child);
      events.exit(code, signal);
    };
    child.on('message', events.message);
    child.on('error', (error) => {
      events.error(error);
      // A child that could not be started emits no 'close'.
      if (child.pid === undefined) exit(null, null);
    });
    // The exit is reported once the child is gone AND its IPC channel is closed, so that every
    // message it sent before dying has been read first.
    let status: [number | null, string | null] | undefined;
    child.on('exit', (code, signal) => {
      status = [code, signal];
      if (!child.connected) exit(code, signal);
      else child.channel?.ref();
    });
    child.on('disconnect', () => {
      if (status !== undefined) exit(status[0], status[1]);
    });
    return {
      id: child.pid ?? -1,
      send(message) {
        if (child.connected) child.send(message);
      },
      startedCount: () => undefined,
      ref: () => {
        child.ref();
        child.channel?.ref();
      },
      unref: () => {
        child.unref();
        child.channel?.unref();
      },
      close: () => {
        if (child.connected) child.disconnect();
      },
      kill: () => {
        child.kill('SIGKILL');
      },
    };
  }
}
