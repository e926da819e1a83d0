/**
 * The stand-in server in a child process of its own, so that benchmarks do not count its CPU
 * against the client, and can ask it how much CPU it used (to show it was not the bottleneck).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { GalleryServerOptions } from './options.js';

export interface GalleryServerProcess {
  readonly url: string;
  readonly apiUrl: string;
  readonly listUrl: string;
  readonly pid: number;
  /** CPU seconds (user + system) the server process has used so far. */
  cpuSeconds(): Promise<number>;
  close(): Promise<void>;
}

type Message =
  | { type: 'ready'; url: string }
  | { type: 'cpu'; seconds: number }
  | { type: 'error'; message: string };

const ENTRY = fileURLToPath(new URL('./server-process-entry.js', import.meta.url));

export async function startGalleryServerProcess(
  options: GalleryServerOptions = {},
): Promise<GalleryServerProcess> {
  const child: ChildProcess = fork(ENTRY, [JSON.stringify(options)], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    execArgv: [],
  });
  const [first] = (await Promise.race([
    once(child, 'message'),
    once(child, 'exit').then(() => [{ type: 'error', message: 'the server process exited at start' }]),
  ])) as [Message];
  if (first.type !== 'ready') {
    child.kill();
    throw new Error(first.type === 'error' ? first.message : 'unexpected message from the server process');
  }
  const url = first.url;
  return {
    url,
    apiUrl: `${url}/3/gallery/`,
    listUrl: `${url}/photo/list/`,
    pid: child.pid as number,
    async cpuSeconds() {
      child.send({ type: 'cpu' });
      for (;;) {
        const [message] = (await once(child, 'message')) as [Message];
        if (message.type === 'cpu') return message.seconds;
      }
    },
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.disconnect();
      await exited;
    },
  };
}
