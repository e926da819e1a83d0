/**
 * Redis benchmarks (`npm run bench`, suite "redis"): taskmill's redis backend against BullMQ
 * used directly, in the same run, on a redis-server of their own (never the system one).
 * Workers are separate processes; every figure is the median of several runs.
 *  - submit and collect N trivial jobs, one worker at concurrency 50 (seconds; target <= 0.7 s
 *    for 5,000);
 *  - the same end to end with 2 worker processes (jobs/s; target >= 4,000);
 *  - 10 ms sleeping jobs, one worker at concurrency 50 (jobs/s; target >= 3,100);
 * and taskmill's overhead over BullMQ in each (target <= 10 %). These rows put one job per item on
 * both sides (taskmill: one submit() per item, as a map made them before maps were chunked).
 *  - issue 11's chunked map: 100,000 trivial items over 2 worker processes, taskmill's map (many
 *    items per job) against BullMQ's one job per item (target >= 10x).
 *  - issue 14's chord: 10,000 trivial nodes and a callback that adds their results, over 2 worker
 *    processes, taskmill's pool.run(chord(...)) against BullMQ's FlowProducer (a parent with
 *    10,000 children; the parent reads getChildrenValues()).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { FlowProducer, Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { chord, Pool, tasks } from 'taskmill';
import { startRedisServer } from '../../dist/distributed/testing/redis-server.js';
import type * as BenchTasks from './bench-tasks.js';
import { makeHosts } from './network-hosts.js';

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
    // Both contenders' workers run side by side and their runs alternate, so a change in the
    // machine's load touches both alike. CPU seconds (caller + workers) are reported too: on a
    // busy machine they say more about overhead than wall time does.
    const started = await Promise.all(
      (['bullmq', 'taskmill'] as const).map(async (kind) => {
        const queue = `bench-${kind}-${c.task}-${c.workers}`;
        const workers = await startAll(
          Array.from({ length: c.workers }, () => () => startWorkerProcess(kind, server.plainUrl, queue)),
        );
        return { kind, queue, workers };
      }),
    );
    try {
      const times: Record<Kind, number[]> = { taskmill: [], bullmq: [] };
      const cpu: Record<Kind, number[]> = { taskmill: [], bullmq: [] };
      for (let i = -1; i < runs; i++) {
        for (const { kind, queue, workers } of started) {
          const runOnce = kind === 'taskmill' ? taskmillRun : bullmqRun;
          const size = i < 0 ? Math.min(200, jobs) : jobs; // i = -1: warm-up
          const cpuBefore = process.cpuUsage();
          const workersBefore = workers.map(cpuSeconds);
          const seconds = await runOnce(server.plainUrl, queue, c.task, size);
          if (i < 0) continue;
          const caller = process.cpuUsage(cpuBefore);
          const workerCpu = workers.reduce((sum, w, k) => sum + cpuSeconds(w) - (workersBefore[k] ?? 0), 0);
          times[kind].push(seconds);
          cpu[kind].push((caller.user + caller.system) / 1e6 + workerCpu);
        }
      }
      const value = (kind: Kind) => (c.unit === 'seconds' ? median(times[kind]) : jobs / median(times[kind]));
      const overhead =
        c.unit === 'seconds'
          ? value('taskmill') / value('bullmq') - 1
          : value('bullmq') / value('taskmill') - 1;
      rows.push({
        name: c.name,
        jobs,
        [`taskmill ${c.unit}`]: round(value('taskmill')),
        [`bullmq ${c.unit}`]: round(value('bullmq')),
        'overhead %': round(overhead * 100),
        'taskmill cpu s': round(median(cpu.taskmill)),
        'bullmq cpu s': round(median(cpu.bullmq)),
        'cpu overhead %': round((median(cpu.taskmill) / median(cpu.bullmq) - 1) * 100),
        target: `${c.unit === 'seconds' ? '<=' : '>='} ${c.target} ${c.unit} (5,000 jobs), overhead <= 10 %`,
      });
    } finally {
      await Promise.all(started.flatMap(({ workers }) => workers.map(stopProcess)));
    }
  }
  return rows;
}

async function taskmillRun(
  url: string,
  queue: string,
  task: TaskName,
  jobs: number,
  metrics = false,
): Promise<number> {
  const pool = new Pool({ backend: 'redis', connection: url, queue, metrics });
  try {
    await pool.apply(t.noop, 0); // connected and warm: time only the jobs
    const items = Array.from({ length: jobs }, (_, i) => i);
    const started = performance.now();
    // One job per item, as BullMQ's side has (a map would chunk them: see redisChunkedMap).
    const results = await Promise.all(items.map((n) => pool.submit(t[task], n).get()));
    const seconds = (performance.now() - started) / 1000;
    if (results.length !== jobs || results[jobs - 1] !== jobs - 1)
      throw new Error('taskmill run lost results');
    return seconds;
  } finally {
    await pool.terminate();
  }
}

/**
 * Issue 11: a map of 100,000 trivial items over 2 worker processes (x50 each), taskmill's
 * chunked map against BullMQ's one job per item (raw Queue/Worker), runs alternating on
 * workers that run side by side. Results are checked after every timed run.
 */
export async function redisChunkedMap(options: {
  runs: number;
  quick: boolean;
}): Promise<Record<string, unknown>[]> {
  const items = options.quick ? 10_000 : 100_000;
  const runs = Math.max(1, Math.min(options.runs, 3));
  await using server = await startRedisServer();
  const started = await Promise.all(
    (['bullmq', 'taskmill'] as const).map(async (kind) => {
      const queue = `bench-chunked-${kind}`;
      const workers = await startAll(
        [1, 2].map(() => () => startWorkerProcess(kind, server.plainUrl, queue)),
      );
      return { kind, queue, workers };
    }),
  );
  try {
    const times: Record<Kind, number[]> = { taskmill: [], bullmq: [] };
    for (let i = -1; i < runs; i++) {
      for (const { kind, queue } of started) {
        const size = i < 0 ? 2000 : items; // i = -1: warm-up
        const seconds =
          kind === 'taskmill'
            ? await taskmillMapRun(server.plainUrl, queue, size)
            : await bullmqRun(server.plainUrl, queue, 'noop', size);
        if (i >= 0) times[kind].push(seconds);
      }
    }
    const taskmill = items / median(times.taskmill);
    const bullmq = items / median(times.bullmq);
    return [
      {
        name: 'chunked map, 2 worker processes x50',
        items,
        'taskmill map items/s': round(taskmill),
        'bullmq one job per item jobs/s': round(bullmq),
        ratio: round(taskmill / bullmq),
        target: 'ratio >= 10',
        verdict: taskmill / bullmq >= 10 ? 'meets' : 'misses',
      },
    ];
  } finally {
    await Promise.all(started.flatMap(({ workers }) => workers.map(stopProcess)));
  }
}

async function taskmillMapRun(url: string, queue: string, count: number): Promise<number> {
  const pool = new Pool({ backend: 'redis', connection: url, queue });
  try {
    await pool.apply(t.noop, 0); // connected and warm: time only the map
    const items = Array.from({ length: count }, (_, i) => i);
    const started = performance.now();
    const results = await pool.map(t.noop, items);
    const seconds = (performance.now() - started) / 1000;
    if (results.length !== count || !results.every((v, i) => v === i))
      throw new Error('taskmill map lost results');
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
  // An event stream long enough for every job of the run (BullMQ keeps 10,000 by default).
  const q = new Queue(queue, { connection, streams: { events: { maxLen: Math.max(10_000, jobs * 2) } } });
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

/**
 * Issue 14: a chord of 10,000 trivial nodes and a callback over 2 worker processes (x50 each),
 * taskmill (nodes chunked, the default; and one job per node, chunkSize 1) against BullMQ's
 * FlowProducer, runs alternating on workers that run side by side. The callback's sum is
 * checked after every run.
 */
export async function redisChord(options: {
  runs: number;
  quick: boolean;
}): Promise<Record<string, unknown>[]> {
  const nodes = options.quick ? 2000 : 10_000;
  const runs = Math.max(1, Math.min(options.runs, 3));
  await using server = await startRedisServer();
  type Contender = 'taskmill' | 'taskmill1' | 'bullmq';
  const contenders: Contender[] = ['bullmq', 'taskmill', 'taskmill1'];
  const started = await Promise.all(
    contenders.map(async (kind) => {
      const queue = `bench-chord-${kind}`;
      const workers = await startAll(
        [1, 2].map(
          () => () => startWorkerProcess(kind === 'bullmq' ? 'bullmq' : 'taskmill', server.plainUrl, queue),
        ),
      );
      return { kind, queue, workers };
    }),
  );
  try {
    const times: Record<Contender, number[]> = { taskmill: [], taskmill1: [], bullmq: [] };
    for (let i = -1; i < runs; i++) {
      for (const { kind, queue } of started) {
        const size = i < 0 ? 500 : nodes; // i = -1: warm-up
        const seconds =
          kind === 'bullmq'
            ? await bullmqFlowRun(server.plainUrl, queue, size)
            : await taskmillChordRun(server.plainUrl, queue, size, kind === 'taskmill1' ? 1 : undefined);
        if (i >= 0) times[kind].push(seconds);
      }
    }
    const rate = (kind: Contender) => nodes / median(times[kind]);
    return [
      {
        name: 'chord, 2 worker processes x50',
        nodes,
        'taskmill s': round(median(times.taskmill)),
        'taskmill 1 job/node s': round(median(times.taskmill1)),
        'bullmq FlowProducer s': round(median(times.bullmq)),
        'taskmill nodes/s': round(rate('taskmill')),
        'bullmq nodes/s': round(rate('bullmq')),
        ratio: round(rate('taskmill') / rate('bullmq')),
        'ratio 1 job/node': round(rate('taskmill1') / rate('bullmq')),
      },
    ];
  } finally {
    await Promise.all(started.flatMap(({ workers }) => workers.map(stopProcess)));
  }
}

async function taskmillChordRun(
  url: string,
  queue: string,
  count: number,
  chunkSize: number | undefined,
): Promise<number> {
  const pool = new Pool({ backend: 'redis', connection: url, queue });
  try {
    await pool.apply(t.noop, 0); // connected and warm: time only the flow
    const started = performance.now();
    const flow = chord(
      Array.from({ length: count }, (_, n) => t.noop.partial(n)),
      t.sum,
    );
    const total = await pool.run(flow, chunkSize === undefined ? {} : { chunkSize });
    const seconds = (performance.now() - started) / 1000;
    if (total !== (count * (count - 1)) / 2) throw new Error(`taskmill chord gave ${total}`);
    return seconds;
  } finally {
    await pool.terminate();
  }
}

async function bullmqFlowRun(url: string, queue: string, count: number): Promise<number> {
  const { hostname, port } = new URL(url);
  const connection = { host: hostname, port: Number(port), maxRetriesPerRequest: null };
  const probe = new Redis(connection);
  const last = (await probe.xrevrange(`bull:${queue}:events`, '+', '-', 'COUNT', 1)) as [string, string[]][];
  probe.disconnect();
  // An event stream long enough for every event of the run, as in bullmqRun.
  const q = new Queue(queue, { connection, streams: { events: { maxLen: Math.max(10_000, count * 6) } } });
  const flows = new FlowProducer({ connection });
  const events = new QueueEvents(queue, { connection, autorun: false, lastEventId: last[0]?.[0] ?? '0-0' });
  try {
    await q.waitUntilReady();
    let parentId: string | undefined;
    let result: string | undefined;
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const early = new Map<string, string>();
    events.on('completed', ({ jobId, returnvalue }) => {
      if (parentId === undefined) early.set(jobId, String(returnvalue));
      else if (jobId === parentId) {
        result = String(returnvalue);
        finish();
      }
    });
    void events.run().catch(() => {});
    await events.waitUntilReady();
    const keep = {
      removeOnComplete: { age: 3600, count: 10_000 },
      removeOnFail: { age: 604_800, count: 10_000 },
    };
    const started = performance.now();
    const tree = await flows.add({
      name: 'sum',
      queueName: queue,
      data: {},
      opts: keep,
      children: Array.from({ length: count }, (_, n) => ({
        name: 'noop',
        queueName: queue,
        data: { n },
        opts: keep,
      })),
    });
    parentId = tree.job.id;
    if (parentId !== undefined && early.has(parentId)) {
      result = early.get(parentId);
      finish();
    }
    await finished;
    const seconds = (performance.now() - started) / 1000;
    if (Number(result) !== (count * (count - 1)) / 2) throw new Error(`bullmq flow gave ${result}`);
    return seconds;
  } finally {
    await events.close();
    await flows.close();
    await q.close();
  }
}

/**
 * Scale-out: taskmill workers on 1, 2 and 3 "hosts" (network namespaces reaching Redis over a
 * veth link, where the machine allows it), end to end jobs/s for trivial jobs.
 */
export async function redisScaleOut(options: {
  runs: number;
  quick: boolean;
}): Promise<Record<string, unknown>[]> {
  const jobs = options.quick ? 1000 : 5000;
  const runs = Math.max(1, options.runs);
  const hosts = await makeHosts(3);
  try {
    await using server = await startRedisServer({ bind: hosts.bind });
    const rows: Record<string, unknown>[] = [];
    for (const count of [1, 2, 3]) {
      const queue = `scale-${count}`;
      const workers = await startAll(
        Array.from(
          { length: count },
          (_, i) => () =>
            startWorkerProcess(
              'taskmill',
              `redis://${hosts.redisAddress(i + 1)}:${server.port}`,
              queue,
              hosts.prefix(i + 1),
            ),
        ),
      );
      try {
        await taskmillRun(server.plainUrl, queue, 'noop', Math.min(200, jobs));
        const times: number[] = [];
        for (let i = 0; i < runs; i++) times.push(await taskmillRun(server.plainUrl, queue, 'noop', jobs));
        rows.push({
          name: `${count} host${count > 1 ? 's' : ''} x 1 worker x50`,
          jobs,
          'jobs/s': round(jobs / median(times)),
          hosts: hosts.isolated ? 'network namespaces over veth' : 'processes (namespaces not allowed here)',
        });
      } finally {
        await Promise.all(workers.map(stopProcess));
      }
    }
    return rows;
  } finally {
    await hosts.remove();
  }
}

/**
 * Issue 13's overhead bound: end to end with 2 worker processes, the caller's metrics on
 * against off, runs alternating on the same workers (whose heartbeats and job counts are on
 * either way). Target: metrics on keeps at least 95% of the jobs/s.
 */
export async function redisMetricsOverhead(options: {
  runs: number;
  quick: boolean;
}): Promise<Record<string, unknown>[]> {
  const jobs = options.quick ? 1000 : 5000;
  const runs = Math.max(3, options.runs);
  await using server = await startRedisServer();
  const queue = 'bench-metrics';
  const workers = await startAll(
    [1, 2].map(() => () => startWorkerProcess('taskmill', server.plainUrl, queue)),
  );
  try {
    const seconds: Record<'off' | 'on', number[]> = { off: [], on: [] };
    await taskmillRun(server.plainUrl, queue, 'noop', Math.min(200, jobs), true); // warm-up
    for (let i = 0; i < runs; i++) {
      for (const mode of i % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
        seconds[mode].push(await taskmillRun(server.plainUrl, queue, 'noop', jobs, mode === 'on'));
      }
    }
    const off = jobs / median(seconds.off);
    const on = jobs / median(seconds.on);
    return [
      {
        name: 'end to end, 2 worker processes: metrics on vs off',
        jobs,
        'metrics off jobs/s': round(off),
        'metrics on jobs/s': round(on),
        'on / off': round(on / off),
        target: 'on / off >= 0.95',
        verdict: on / off >= 0.95 ? 'meets' : 'misses',
      },
    ];
  } finally {
    await Promise.all(workers.map(stopProcess));
  }
}

function startWorkerProcess(
  kind: Kind,
  url: string,
  queue: string,
  prefix: string[] = [],
): Promise<ChildProcess> {
  const all = [...prefix, process.execPath, WORKER, kind, url, queue, '50'];
  const child = spawn(all[0] as string, all.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`${kind} worker exited with ${code} before it was ready`)));
  });
}

/** CPU seconds a child process has used so far (Linux /proc; 0 elsewhere). */
function cpuSeconds(child: ChildProcess): number {
  try {
    const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** Starts every worker; if one fails, stops those that started and throws. */
async function startAll(starts: (() => Promise<ChildProcess>)[]): Promise<ChildProcess[]> {
  const outcomes = await Promise.allSettled(starts.map((start) => start()));
  const started = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
  const failed = outcomes.find((o) => o.status === 'rejected');
  if (failed !== undefined) {
    await Promise.all(started.map(stopProcess));
    throw failed.reason;
  }
  return started;
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
