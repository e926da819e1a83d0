/**
 * Test harness: `taskmill worker` as a separate OS process (fixtures/worker-main.js), with
 * helpers to wait until it takes jobs, signal it, and wait for its exit. `stop()` ends it for
 * sure (SIGKILL after a grace) so no test leaves a process behind.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { WorkerOptions } from '../worker.js';

export interface WorkerProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or the signal's name). */
  readonly exited: Promise<number | string>;
  /** What the worker wrote on stderr (its log). */
  log(): string;
  stop(): Promise<void>;
}

const MAIN = new URL('../fixtures/worker-main.js', import.meta.url);

export async function spawnWorkerProcess(
  options: Omit<WorkerOptions, 'tasks' | 'log'> & { tasks: string[] },
): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [MAIN.pathname, JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < 100_000) stderr += chunk.toString();
  });
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? -1));
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('ready ')) resolve();
    });
    exited.then((code) => reject(new Error(`worker exited with ${code} before it was ready: ${stderr}`)));
  });
  return {
    pid: child.pid as number,
    child,
    exited,
    log: () => stderr,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Waits until `file` holds at least `count` lines that pass `keep` (checked every 20 ms). */
export async function waitForLines(
  file: string,
  count: number,
  keep: (line: string) => boolean = () => true,
): Promise<string[]> {
  for (;;) {
    const text = await readFile(file, 'utf8').catch(() => '');
    const lines = text.split('\n').filter((line) => line !== '' && keep(line));
    if (lines.length >= count) return lines;
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
