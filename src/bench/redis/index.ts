/**
 * Redis benchmarks (`npm run bench`, suite "redis"): taskmill's redis backend against BullMQ
 * used directly, in the same run, on a redis-server of their own (never the system one).
 * Workers are separate processes; every figure is the median of several runs.
 *  - submit and collect N trivial jobs, one worker at concurrency 50 (seconds; target <= 0.7 s
 *    for 5,000);
 *  - the same end to end with 2 worker processes (jobs/s; target >= 4,000);
 *  - 10 ms sleeping jobs, one worker at concurrency 50 (jobs/s; target >= 3,100);
 * and taskmill's overhead over BullMQ in each (target <= 10 %).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { Pool } from '../../core/pool.js';
import { tasks } from '../../core/task.js';
import { startRedisServer } from '../../distributed/testing/redis-server.js';
import type * as BenchTasks from './bench-tasks.js';

const t = tasks<typeof BenchTasks>(new URL('./bench-tasks.js', import.meta.url));
const WORKER = new URL('./worker-process.js', import.meta.url).pathname;

type Kind = 'taskmill' | 'bullmq';
type TaskName = 'noop' | 'sleep10';

interface Case {
  readonly name: string;
  readonly task: TaskName;
  readonly workers: number;
  /** 'seconds' for submit-and-collect; 'jobs/s' for throughput. */
  readonly unit: 'seconds' | 'jobs/s';
  readonly target: number;
}

const CASES: Case[] = [
  { name: 'submit+collect, 1 worker x50', task: 'noop', workers: 1, unit: 'seconds', target: 0.7 },
  { name: 'end to end, 2 worker processes', task: 'noop', workers: 2, unit: 'jobs/s', target: 4000 },
  { name: '10 ms jobs, 1 worker x50', task: 'sleep10', workers: 1, unit: 'jobs/s', target: 3100 },
];

export async function redisVsBullmq(options: {
  runs: number;
  quick: boolean;
}): Promise<Record<string, unknown>[]> {
  const jobs = options.quick ? 1000 : 5000;
  const runs = Math.max(1, options.runs);
  await using server = await startRedisServer();
  const rows: Record<string, unknown>[] = [];
  for (const c of CASES) {
    const medians: Record<Kind, number> = { taskmill: 0, bullmq: 0 };
    for (const kind of ['bullmq', 'taskmill'] as const) {
      const queue = `bench-${kind}-${c.task}-${c.workers}`;
      const workers = await Promise.all(
        Array.from({ length: c.workers }, () => startWorkerProcess(kind, server.plainUrl, queue)),
      );
      try {
        const times: number[] = [];
        const runOnce = kind === 'taskmill' ? taskmillRun : bullmqRun;
        await runOnce(server.plainUrl, queue, c.task, Math.min(200, jobs)); // warm-up
        for (let i = 0; i < runs; i++) times.push(await runOnce(server.plainUrl, queue, c.task, jobs));
        const seconds = median(times);
        medians[kind] = c.unit === 'seconds' ? seconds : jobs / seconds;
      } finally {
        await Promise.all(workers.map(stopProcess));
      }
    }
    const overhead =
      c.unit === 'seconds' ? medians.taskmill / medians.bullmq - 1 : medians.bullmq / medians.taskmill - 1;
    rows.push({
      name: c.name,
      jobs,
      [`taskmill ${c.unit}`]: round(medians.taskmill),
      [`bullmq ${c.unit}`]: round(medians.bullmq),
      'overhead %': round(overhead * 100),
      target: `${c.unit === 'seconds' ? '<=' : '>='} ${c.target} ${c.unit} (5,000 jobs), overhead <= 10 %`,
    });
  }
  return rows;
}

async function taskmillRun(url: string, queue: string, task: TaskName, jobs: number): Promise<number> {
  const pool = new Pool({ backend: 'redis', connection: url, queue });
  try {
    await pool.apply(t.noop, 0); // connected and warm: time only the jobs
    const items = Array.from({ length: jobs }, (_, i) => i);
    const started = performance.now();
    const results = await pool.map(t[task], items);
    const seconds = (performance.now() - started) / 1000;
    if (results.length !== jobs || results[jobs - 1] !== jobs - 1)
      throw new Error('taskmill run lost results');
    return seconds;
  } finally {
    await pool.terminate();
  }
}

async function bullmqRun(url: string, queue: string, task: TaskName, jobs: number): Promise<number> {
  const { hostname, port } = new URL(url);
  const connection = { host: hostname, port: Number(port), maxRetriesPerRequest: null };
  const probe = new Redis(connection);
  const last = (await probe.xrevrange(`bull:${queue}:events`, '+', '-', 'COUNT', 1)) as [string, string[]][];
  probe.disconnect();
  const q = new Queue(queue, { connection });
  // Read events from the stream's current end, so none of this run's is missed.
  const events = new QueueEvents(queue, { connection, autorun: false, lastEventId: last[0]?.[0] ?? '0-0' });
  try {
    await q.waitUntilReady();
    let done = 0;
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    events.on('completed', () => {
      if (++done === jobs) finish();
    });
    void events.run().catch(() => {});
    await events.waitUntilReady();
    const started = performance.now();
    await q.addBulk(
      Array.from({ length: jobs }, (_, n) => ({
        name: task,
        data: { n },
        opts: {
          removeOnComplete: { age: 3600, count: 10_000 },
          removeOnFail: { age: 604_800, count: 10_000 },
        },
      })),
    );
    await finished;
    return (performance.now() - started) / 1000;
  } finally {
    await events.close();
    await q.close();
  }
}

function startWorkerProcess(kind: Kind, url: string, queue: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [WORKER, kind, url, queue, '50'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`${kind} worker exited with ${code} before it was ready`)));
  });
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function round(n: number): number {
  return Math.abs(n) >= 100 ? Math.round(n) : Math.round(n * 1000) / 1000;
}
