/**
 * Download benchmarks (`npm run bench`, suite "download"): taskmill's downloader against its
 * peers in the same run, on the stand-in server running in a process of its own (its CPU is
 * reported apart, to show it is not the bottleneck). Every client run is a fresh process
 * measured by /usr/bin/time; figures are medians of the runs.
 *  - latency: 900 images x 100 KiB behind 200 ms at concurrency 64 (target: within 3% of the
 *    floor ceil(900/64) x 0.2 s, and no more CPU seconds than the bare undici client's in the
 *    same run: what taskmill adds on top of undici must cost nothing measurable);
 *  - throughput: 10,000 x 100 KiB, no latency, concurrency 64 (target: req/s >= Python's thread pool);
 *  - big files: 20 x 20 MiB, no latency, 8 at once (target: MiB/s >= Python's thread pool in the
 *    same run, peak RSS <= 120 MiB); aria2c beside them when installed.
 * Peers: the seeds' Python thread pool (urllib, standard library), undici's Agent used
 * directly, fetch with p-limit; aria2c for big files (skipped with a note when absent).
 */
import { access, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startGalleryServerProcess } from '../../dist/gallery-server/server-process.js';
import { type ClientMeasure, hasCommand, measureClient } from './measure-client.js';
import { PYTHON_THREAD_POOL } from './python-peer.js';

const CLIENT = fileURLToPath(new URL('./client-entry.js', import.meta.url));

type Contender = 'taskmill' | 'undici' | 'fetch' | 'python threads' | 'aria2c';

interface Plan {
  readonly images: number;
  readonly imageSize: number;
  readonly latency: number;
  readonly concurrency: number;
  readonly contenders: readonly Contender[];
}

interface Measured extends ClientMeasure {
  readonly contender: Contender;
  readonly serverCpuSeconds: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

async function commandFor(
  contender: Contender,
  dir: string,
  urlsFile: string,
  out: string,
  concurrency: number,
): Promise<[string, string[]] | string> {
  switch (contender) {
    case 'taskmill':
    case 'undici':
    case 'fetch':
      return [process.execPath, [CLIENT, contender, urlsFile, out, String(concurrency)]];
    case 'python threads': {
      if (!(await hasCommand('python3'))) return 'skipped: python3 not found';
      const script = join(dir, 'thread_pool.py');
      await writeFile(script, PYTHON_THREAD_POOL);
      return ['python3', [script, urlsFile, out, String(concurrency)]];
    }
    case 'aria2c':
      if (!(await hasCommand('aria2c'))) return 'skipped: aria2c not found (Debian: apt-get install aria2)';
      return [
        'aria2c',
        [
          '-i',
          urlsFile,
          '-d',
          out,
          '-j',
          String(concurrency),
          '-x',
          '1',
          '-s',
          '1',
          '--file-allocation=none',
          '--allow-overwrite=true',
          '--auto-file-renaming=false',
          '--console-log-level=error',
          '--summary-interval=0',
          '--download-result=hide',
          '-q',
        ],
      ];
  }
}

async function runPlan(
  plan: Plan,
  runs: number,
): Promise<(Measured | { contender: Contender; skipped: string })[]> {
  try {
    await access('/usr/bin/time');
  } catch {
    throw new Error(
      'the download benchmarks measure every client with /usr/bin/time (Debian package "time"); install it',
    );
  }
  const server = await startGalleryServerProcess({
    images: plan.images,
    imageSize: plan.imageSize,
    latency: plan.latency,
    checksums: false,
  });
  const dir = await mkdtemp(join(tmpdir(), 'taskmill-bench-dl-'));
  const results: (Measured | { contender: Contender; skipped: string })[] = [];
  try {
    const urlsFile = join(dir, 'urls.txt');
    await writeFile(
      urlsFile,
      `${Array.from({ length: plan.images }, (_, i) => `${server.url}/i/${i}.jpg`).join('\n')}\n`,
    );
    for (const contender of plan.contenders) {
      const out = join(dir, 'out');
      const command = await commandFor(contender, dir, urlsFile, out, plan.concurrency);
      if (typeof command === 'string') {
        results.push({ contender, skipped: command });
        continue;
      }
      const samples: (ClientMeasure & { serverCpuSeconds: number })[] = [];
      for (let run = 0; run < runs; run++) {
        await rm(out, { recursive: true, force: true });
        const serverBefore = await server.cpuSeconds();
        const measured = await measureClient(command[0], command[1], join(dir, 'time.txt'));
        const serverCpuSeconds = (await server.cpuSeconds()) - serverBefore;
        const files = (await readdir(out)).length;
        if (files !== plan.images) {
          throw new Error(`${contender} left ${files} of ${plan.images} files`);
        }
        samples.push({ ...measured, serverCpuSeconds });
      }
      results.push({
        contender,
        seconds: median(samples.map((s) => s.seconds)),
        cpuSeconds: median(samples.map((s) => s.cpuSeconds)),
        peakRssMiB: median(samples.map((s) => s.peakRssMiB)),
        failed: Math.max(...samples.map((s) => s.failed)),
        serverCpuSeconds: median(samples.map((s) => s.serverCpuSeconds)),
      });
    }
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
  return results;
}

function round(value: number, digits = 3): number {
  return Number(value.toFixed(digits));
}

/** 900 x 100 KiB behind 200 ms latency, concurrency 64: seconds against the floor, and client CPU. */
export async function latency900(options: {
  runs: number;
  quick: boolean;
}): Promise<Record<string, unknown>[]> {
  const plan: Plan = {
    images: 900,
    imageSize: 100 * 1024,
    latency: 200,
    concurrency: 64,
    contenders: ['taskmill', 'python threads', 'undici', 'fetch'],
  };
  const floor = Math.ceil(plan.images / plan.concurrency) * (plan.latency / 1000);
  const results = await runPlan(plan, Math.max(1, Math.min(options.runs, 3)));
  const undici = results.find((r) => r.contender === 'undici' && !('skipped' in r)) as Measured | undefined;
  return results.map((r) =>
    'skipped' in r
      ? { name: `latency 900x100KiB@200ms c64: ${r.contender}`, note: r.skipped }
      : {
          name: `latency 900x100KiB@200ms c64: ${r.contender}`,
          seconds: round(r.seconds),
          floorSeconds: floor,
          xFloor: round(r.seconds / floor),
          cpuSeconds: round(r.cpuSeconds, 2),
          ...(undici !== undefined ? { cpuVsUndici: round(r.cpuSeconds / undici.cpuSeconds, 2) } : {}),
          peakRssMiB: round(r.peakRssMiB, 1),
          serverCpuSeconds: round(r.serverCpuSeconds, 2),
          ...(r.contender === 'taskmill'
            ? {
                target:
                  r.seconds <= floor * 1.03 && (undici === undefined || r.cpuSeconds <= undici.cpuSeconds)
                    ? 'met'
                    : "missed (<=1.03x floor, CPU s <= undici's)",
              }
            : {}),
        },
  );
}

/** 10,000 x 100 KiB, no latency, concurrency 64: requests per second (quick: 2,000). */
export async function throughput10k(options: {
  runs: number;
  quick: boolean;
}): Promise<Record<string, unknown>[]> {
  const plan: Plan = {
    images: options.quick ? 2000 : 10_000,
    imageSize: 100 * 1024,
    latency: 0,
    concurrency: 64,
    contenders: ['taskmill', 'python threads', 'undici', 'fetch'],
  };
  const results = await runPlan(plan, Math.max(1, Math.min(options.runs, 2)));
  const python = results.find((r) => r.contender === 'python threads' && !('skipped' in r)) as
    | Measured
    | undefined;
  return results.map((r) => {
    const name = `throughput ${plan.images}x100KiB c64: ${r.contender}`;
    if ('skipped' in r) return { name, note: r.skipped };
    const reqPerSecond = plan.images / r.seconds;
    return {
      name,
      seconds: round(r.seconds),
      reqPerSecond: Math.round(reqPerSecond),
      cpuSeconds: round(r.cpuSeconds, 2),
      peakRssMiB: round(r.peakRssMiB, 1),
      serverCpuSeconds: round(r.serverCpuSeconds, 2),
      ...(r.contender === 'taskmill' && python !== undefined
        ? { target: reqPerSecond >= plan.images / python.seconds ? 'met' : "missed (>= Python's req/s)" }
        : {}),
    };
  });
}

/** 20 x 20 MiB, no latency, 8 at once: MiB/s against Python's thread pool, and peak RSS (quick: 8 files). */
export async function bigFiles(options: {
  runs: number;
  quick: boolean;
}): Promise<Record<string, unknown>[]> {
  const plan: Plan = {
    images: options.quick ? 8 : 20,
    imageSize: 20 * 1024 * 1024,
    latency: 0,
    concurrency: 8,
    contenders: ['taskmill', 'python threads', 'aria2c', 'undici', 'fetch'],
  };
  const results = await runPlan(plan, Math.max(1, Math.min(options.runs, 3)));
  const python = results.find((r) => r.contender === 'python threads' && !('skipped' in r)) as
    | Measured
    | undefined;
  const mib = (plan.images * plan.imageSize) / (1024 * 1024);
  return results.map((r) => {
    const name = `big files ${plan.images}x20MiB c8: ${r.contender}`;
    if ('skipped' in r) return { name, note: r.skipped };
    const rate = mib / r.seconds;
    return {
      name,
      seconds: round(r.seconds),
      mibPerSecond: Math.round(rate),
      ...(python !== undefined ? { xPython: round(rate / (mib / python.seconds), 2) } : {}),
      cpuSeconds: round(r.cpuSeconds, 2),
      peakRssMiB: round(r.peakRssMiB, 1),
      serverCpuSeconds: round(r.serverCpuSeconds, 2),
      ...(r.contender === 'taskmill'
        ? {
            target:
              (python === undefined || rate >= mib / python.seconds) && r.peakRssMiB <= 120
                ? 'met'
                : "missed (>= Python threads' MiB/s, peak RSS <= 120 MiB)",
          }
        : {}),
    };
  });
}
