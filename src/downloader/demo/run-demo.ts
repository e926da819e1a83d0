/**
 * `taskmill demo`: the seeds' comparison, reproduced on this machine in under a minute.
 * 1. Starts the stand-in gallery in its own process and downloads the same gallery with every
 *    backend (sequential on a subset, extrapolated and said so; redis when reachable).
 * 2. Runs a CPU-bound workload on each backend.
 * 3. Prints both as tables (seconds, speed-up, CPU seconds) and one line of advice.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BackendName } from '../../core/backend.js';
import { tasks } from '../../core/task.js';
import { startGalleryServerProcess } from '../../gallery-server/server-process.js';
import { Pool } from '../../pool/pool.js';
import { formatBytes } from '../console/format.js';
import { download } from '../download.js';
import { imgurLinks } from '../imgur-source.js';
import { DEFAULT_USER_AGENT, type DownloadOptions } from '../options.js';
import { cpuSeconds } from './cpu-seconds.js';
import { redisReachable } from './redis-probe.js';
import { renderTable } from './table.js';

const cpuTasks = tasks<typeof import('./cpu-task.js')>(new URL('./cpu-task.js', import.meta.url));

export interface DemoOptions {
  readonly images: number;
  readonly imageSize: number;
  readonly latency: number;
  readonly concurrency: number;
  readonly workers: number;
  readonly sequentialSubset: number;
  readonly cpuTasks: number;
  /** fib(n) per CPU task; default: the n that takes about CPU_CALL_MS here. */
  readonly fib?: number;
  readonly redisUrl: string;
  readonly log: (line: string) => void;
}

interface Row {
  readonly backend: string;
  readonly seconds: number | undefined;
  readonly cpu: number | undefined;
  readonly note: string;
}

/** Processes whose CPU is not the client's (the stand-in server). */
const notCounted = new Set<number>();

async function measure(fn: () => Promise<void>): Promise<{ seconds: number; cpu: number }> {
  const cpu0 = cpuSeconds(notCounted);
  const t0 = performance.now();
  await fn();
  return { seconds: (performance.now() - t0) / 1000, cpu: cpuSeconds(notCounted) - cpu0 };
}

function table(rows: readonly Row[], base: number | undefined): string {
  return renderTable(
    ['backend', 'seconds', 'speed-up', 'CPU s', 'note'],
    rows.map((row) => [
      row.backend,
      row.seconds === undefined ? '-' : row.seconds.toFixed(2),
      row.seconds === undefined || base === undefined ? '-' : `${(base / row.seconds).toFixed(1)}x`,
      row.cpu === undefined ? '-' : row.cpu.toFixed(2),
      row.note,
    ]),
  );
}

async function drain(events: AsyncIterable<{ type: string; summary?: { failed: number } }>): Promise<number> {
  let failed = 0;
  for await (const event of events) if (event.type === 'end') failed = event.summary?.failed ?? 0;
  return failed;
}

/** A CPU task's length when --fib is not given. */
export const CPU_CALL_MS = 100;

/** The smallest n whose fib(n) takes at least `ms` on this machine (each step up costs ~1.6x). */
export function sizeFib(ms: number): number {
  for (let n = 20; n < 45; n++) {
    const start = performance.now();
    fibHere(n);
    if (performance.now() - start >= ms) return n;
  }
  return 45;
}

function fibHere(n: number): number {
  return n < 2 ? n : fibHere(n - 1) + fibHere(n - 2);
}

export async function runDemo(options: DemoOptions): Promise<void> {
  const log = options.log;
  const cores = availableParallelism();
  const server = await startGalleryServerProcess({
    images: options.images,
    imageSize: options.imageSize,
    latency: options.latency,
    checksums: false,
  });
  notCounted.add(server.pid);
  const temp = await mkdtemp(join(tmpdir(), 'taskmill-demo-'));
  const downloads: Row[] = [];
  const cpuRows: Row[] = [];
  try {
    const load = loadavg()[0] ?? 0;
    log(
      `taskmill demo: the seeds' comparison on this machine (${cores} cores, load average ${load.toFixed(1)}, Node ${process.version})`,
    );
    log(
      `Stand-in gallery at ${server.url} (its own process): ${options.images} images of ${formatBytes(options.imageSize)}, ` +
        `${options.latency} ms latency each, like the seeds' 0.2 s per image.`,
    );
    const links = await imgurLinks(
      { clientId: 'taskmill-demo', apiUrl: server.apiUrl },
      {
        userAgent: DEFAULT_USER_AGENT,
        retries: 2,
        backoff: 100,
        maxBackoff: 1000,
        connectTimeout: 5000,
        idleTimeout: 10_000,
      },
    );
    log(`The gallery API listed ${links.length} .jpg links (gifs and albums left out, as in the seeds).\n`);
    let folder = 0;
    const run = async (backend: BackendName, urls: string[], extra: Partial<DownloadOptions> = {}) => {
      const out = join(temp, `images-${++folder}`);
      let failed = 0;
      const timing = await measure(async () => {
        failed = await drain(download(urls, { out, backend, ...extra }));
      });
      return { ...timing, failed };
    };

    // Warm-up (not timed): loads the HTTP client and opens the server's keep-alive path once.
    await run('async', links.slice(0, 1));
    const subset = links.slice(0, Math.min(options.sequentialSubset, links.length));
    log(`downloading with sequential (${subset.length} of ${links.length} images, then extrapolated)...`);
    const sequential = await run('sequential', subset);
    const scale = links.length / Math.max(1, subset.length);
    const base = sequential.seconds * scale;
    downloads.push({
      backend: 'sequential',
      seconds: base,
      cpu: sequential.cpu * scale,
      note: `extrapolated from ${subset.length} images (x${scale.toFixed(1)})`,
    });
    const plans: [BackendName, Partial<DownloadOptions>, string][] = [
      [
        'async',
        { concurrency: options.concurrency },
        `${options.concurrency} downloads in flight on one event loop`,
      ],
      // As the seeds' pools: each worker runs one download at a time.
      [
        'threads',
        { workers: options.workers, concurrency: options.workers },
        `${options.workers} worker threads, one download each`,
      ],
      [
        'processes',
        { workers: options.workers, concurrency: options.workers },
        `${options.workers} child processes, one download each`,
      ],
    ];
    for (const [backend, extra, note] of plans) {
      log(`downloading with ${backend}...`);
      const result = await run(backend, links, extra);
      downloads.push({
        backend,
        seconds: result.seconds,
        cpu: result.cpu,
        note: result.failed > 0 ? `${note}; ${result.failed} failed` : note,
      });
    }
    downloads.push(await redisRow(options, links, run));

    // A CPU job long enough that the workers' real speed-up shows, not their start-up and
    // messages (24 x fib(31) was 0.22 s in all: "1.3x on 2 cores" undersold threads).
    const fibN = options.fib ?? sizeFib(CPU_CALL_MS);
    const sized = options.fib === undefined ? ` (n sized to ~${CPU_CALL_MS} ms a call here)` : '';
    log(`CPU-bound: ${options.cpuTasks} x fib(${fibN})${sized} on each backend...`);
    for (const [backend, note] of [
      ['sequential', 'one at a time'],
      ['async', 'one event loop: no gain for CPU work'],
      ['threads', `${cores} worker threads (started before timing)`],
      ['processes', `${cores} child processes (started before timing)`],
    ] as const) {
      const items = Array.from({ length: options.cpuTasks }, () => fibN);
      await using pool = new Pool({ backend, workers: cores, concurrency: options.concurrency });
      // Start the workers before timing (one tiny task each), as the seeds' pools were up before the clock.
      await pool.map(
        cpuTasks.fib,
        Array.from({ length: cores }, () => 1),
        { chunkSize: 1 },
      );
      const timing = await measure(async () => {
        await pool.map(cpuTasks.fib, items, { chunkSize: 1 });
      });
      cpuRows.push({ backend, seconds: timing.seconds, cpu: timing.cpu, note });
    }
    log('');
    log(
      `Downloading ${links.length} images (I/O-bound): seconds, speed-up vs sequential, CPU seconds of this process and its children`,
    );
    log(table(downloads, base));
    log('');
    log(`CPU-bound: ${options.cpuTasks} x fib(${fibN})`);
    log(table(cpuRows, cpuRows[0]?.seconds));
    log('');
    log(advice(downloads, cpuRows, cores));
    const serverCpu = await server.cpuSeconds();
    log(`(the stand-in server used ${serverCpu.toFixed(2)} CPU s in all, in its own process)`);
  } finally {
    await server.close();
    await rm(temp, { recursive: true, force: true });
  }
}

async function redisRow(
  options: DemoOptions,
  links: string[],
  run: (
    backend: BackendName,
    urls: string[],
    extra?: Partial<DownloadOptions>,
  ) => Promise<{ seconds: number; cpu: number; failed: number }>,
): Promise<Row> {
  const where = options.redisUrl.replace(/\/\/[^@/]*@/, '//***@');
  if (!(await redisReachable(options.redisUrl))) {
    return {
      backend: 'redis',
      seconds: undefined,
      cpu: undefined,
      note: `skipped: no Redis server at ${where}`,
    };
  }
  let worker: { close(): Promise<void> } | undefined;
  const queue = `taskmill-demo-${process.pid}-${Date.now()}`;
  try {
    const { startWorker } = await import('../../distributed/worker.js');
    worker = await startWorker({
      tasks: [new URL('../download-task.js', import.meta.url)],
      queue,
      connection: options.redisUrl,
      concurrency: options.concurrency,
    });
    options.log('downloading with redis (a worker in this process, jobs through Redis)...');
    const result = await run('redis', links, {
      concurrency: options.concurrency,
      pool: { connection: options.redisUrl, queue },
    });
    return {
      backend: 'redis',
      seconds: result.seconds,
      cpu: result.cpu,
      note: `${options.concurrency} jobs in flight through ${where}${result.failed > 0 ? `; ${result.failed} failed` : ''}`,
    };
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return { backend: 'redis', seconds: undefined, cpu: undefined, note: `skipped: ${reason}` };
  } finally {
    await worker?.close().catch(() => {});
    // The demo's queue is its own: it leaves nothing behind in the Redis it found.
    await removeQueue(options.redisUrl, queue).catch((error: unknown) =>
      options.log(`could not remove the demo's queue ${queue} from Redis: ${String(error)}`),
    );
  }
}

async function removeQueue(connection: string, queue: string): Promise<void> {
  const { openQueueAdmin } = await import('../../distributed/queue-admin.js');
  const admin = await openQueueAdmin({ connection, queue });
  try {
    await admin.obliterate({ force: true });
  } finally {
    await admin.close();
  }
}

function fastest(rows: readonly Row[]): Row | undefined {
  return rows.filter((r) => r.seconds !== undefined).sort((a, b) => (a.seconds ?? 0) - (b.seconds ?? 0))[0];
}

function advice(downloads: readonly Row[], cpu: readonly Row[], cores: number): string {
  const io = fastest(downloads);
  const parallel = fastest(cpu.filter((r) => r.backend === 'threads' || r.backend === 'processes'));
  const ioBase = downloads[0]?.seconds;
  const cpuBase = cpu[0]?.seconds;
  const gain = (row: Row | undefined, base: number | undefined) =>
    row?.seconds === undefined || base === undefined ? 0 : base / row.seconds;
  const cpuGain = gain(parallel, cpuBase);
  const cpuAdvice =
    cpuGain >= 1.2
      ? `for CPU-bound work use ${parallel?.backend} (${cpuGain.toFixed(1)}x on ${cores} cores)`
      : `for CPU-bound work use threads or processes on an idle multi-core machine (here, with ${cores} busy cores, they gained ${cpuGain.toFixed(1)}x)`;
  return (
    `Advice: for I/O-bound work like downloads use ${io?.backend ?? 'async'} (${gain(io, ioBase).toFixed(1)}x here); ` +
    `${cpuAdvice}; redis when the work outgrows one machine. backend: 'auto' picks for you.`
  );
}
