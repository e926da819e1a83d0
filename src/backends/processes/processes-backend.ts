/**
 * `processes` backend: tasks run in child processes forked from this one, talking over an IPC
 * channel with Node's advanced (structured clone) serialization. Buffers are copied (memory
 * cannot move between processes). A child never outlives its pool's process: it exits when
 * the IPC channel closes, and any child still alive is killed when this process exits.
 *
 * A child cannot tell its parent which request it started without a message per request, so
 * when one dies the oldest requests it held (as many as it runs at once) are taken as started
 * (they fail with WorkerCrashedError) and the others are sent again; a child that dies before
 * its initializer finished started none.
 */
import { type ChildProcess, fork } from 'node:child_process';
import type { Socket } from 'node:net';
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
      // fd 4: the pipe to the child's steward thread, which answers revoke requests.
      stdio: ['ignore', 'inherit', 'inherit', 'ipc', 'pipe'],
    });
    const steward = child.stdio[4] as Socket | null;
    let partial = '';
    steward?.setEncoding('utf8');
    steward?.unref();
    steward?.on('data', (chunk: string) => {
      partial += chunk;
      for (let end = partial.indexOf('\n'); end >= 0; end = partial.indexOf('\n')) {
        const ids = JSON.parse(partial.slice(0, end)) as number[];
        partial = partial.slice(end + 1);
        events.message(['revoked', ids]);
      }
    });
    steward?.on('error', () => {});
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
    // The exit is reported once the child is gone AND its IPC channel and steward pipe are
    // closed, so that every message it sent before dying has been read first, and no handle of
    // it is left when the pool reports it gone.
    let status: [number | null, string | null] | undefined;
    const maybeGone = (): void => {
      if (status !== undefined && !child.connected && (steward === null || steward.closed)) {
        exit(status[0], status[1]);
      }
    };
    child.on('exit', (code, signal) => {
      status = [code, signal];
      // Until then, the channel and pipe keep this process alive so the last messages are read.
      if (child.connected) child.channel?.ref();
      steward?.ref();
      maybeGone();
    });
    child.on('disconnect', maybeGone);
    steward?.on('close', maybeGone);
    return {
      id: child.pid ?? -1,
      send(message) {
        if (message[0] === 'revoke') {
          if (steward !== null && !steward.destroyed) steward.write(`${JSON.stringify(message[1])}\n`);
          return;
        }
        if (child.connected) child.send(message);
      },
      ref: () => {
        child.ref();
        child.channel?.ref();
        steward?.ref();
      },
      unref: () => {
        child.unref();
        child.channel?.unref();
        steward?.unref();
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
