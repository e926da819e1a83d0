/**
 * Test harness: `taskmill worker` as a separate OS process (fixtures/worker-main.js), with
 * helpers to wait until it takes jobs, signal it, and wait for its exit. `stop()` ends it for
 * sure (SIGKILL after a grace) so no test leaves a process behind.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { WorkerOptions } from '../worker.js';

export interface WorkerProcess {
  /** The worker's own process (the supervisor, unless isolation is 'none'). */
  readonly pid: number;
  /** The process that runs the tasks (the supervised child; the worker itself with isolation 'none'). */
  readonly taskPid: number;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or the signal's name). */
  readonly exited: Promise<number | string>;
  /** What the worker wrote on stderr (its log). */
  log(): string;
  /** Kills the worker and every process it started at once (SIGKILL to its process group), as a host that dies. */
  killHost(): void;
  stop(): Promise<void>;
}

const MAIN = new URL('../fixtures/worker-main.js', import.meta.url);

export async function spawnWorkerProcess(
  options: Omit<WorkerOptions, 'tasks' | 'log'> & { tasks: string[] },
): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [MAIN.pathname, JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so that killHost() takes its children down with it.
    detached: true,
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < 100_000) stderr += chunk.toString();
  });
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? -1));
  });
  const taskPid = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const ready = /ready (\d+)\n/.exec(out);
      if (ready !== null) resolve(Number(ready[1]));
    });
    exited.then((code) => reject(new Error(`worker exited with ${code} before it was ready: ${stderr}`)));
  });
  return {
    pid: child.pid as number,
    taskPid,
    child,
    exited,
    log: () => stderr,
    killHost() {
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        // Already gone.
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      // Whatever it left behind (a supervised child that outlived it) goes too.
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        // Nothing left.
      }
    },
  };
}

/** Polling helpers give up after this long, so that a hang fails the test instead of stalling it. */
export const POLL_DEADLINE_MS = 60_000;

/** Waits until `file` holds at least `count` lines that pass `keep` (checked every 20 ms). */
export async function waitForLines(
  file: string,
  count: number,
  keep: (line: string) => boolean = () => true,
): Promise<string[]> {
  const until = Date.now() + POLL_DEADLINE_MS;
  for (;;) {
    const text = await readFile(file, 'utf8').catch(() => '');
    const lines = text.split('\n').filter((line) => line !== '' && keep(line));
    if (lines.length >= count) return lines;
    if (Date.now() > until)
      throw new Error(
        `${file} held ${lines.length} matching line(s), not ${count}, after ${POLL_DEADLINE_MS} ms`,
      );
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Waits until the worker's log matches `pattern`. */
export async function untilLogged(worker: WorkerProcess, pattern: RegExp): Promise<void> {
  const until = Date.now() + POLL_DEADLINE_MS;
  while (!pattern.test(worker.log())) {
    if (Date.now() > until) throw new Error(`the worker never logged ${pattern}: ${worker.log()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Runs `body` with `count` worker processes serving the task module `tasks`, started all or
 * nothing, and stops every one of them afterwards whatever happened.
 */
export async function withWorkers<T>(
  tasks: URL,
  count: number,
  options: Record<string, unknown>,
  body: (workers: WorkerProcess[]) => Promise<T>,
): Promise<T> {
  const workers: WorkerProcess[] = [];
  try {
    const started = await Promise.allSettled(
      Array.from({ length: count }, () => spawnWorkerProcess({ tasks: [tasks.pathname], ...options })),
    );
    for (const outcome of started) if (outcome.status === 'fulfilled') workers.push(outcome.value);
    for (const outcome of started) if (outcome.status === 'rejected') throw outcome.reason;
    return await body(workers);
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
}
