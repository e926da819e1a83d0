/**
 * Runs download items through a Pool: one `downloadFile` task per item on whichever backend,
 * at most a window of items outstanding (memory stays flat whatever the input size), outcomes
 * and byte progress delivered as events, a summary at the end.
 */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { tasks } from '../core/task.js';
import type { ConnectionSpec } from '../distributed/connection-spec.js';
import { DEFAULT_PREFIX } from '../distributed/queue-keys.js';
import { runsInProcess } from '../pool/backend-registry.js';
import { Pool } from '../pool/pool.js';
import { EventChannel } from './event-channel.js';
import { type ResolvedRun, workerSettings } from './options.js';
import type { DownloadEvent, DownloadItem, DownloadSummary, ItemResult } from './types.js';
import { QueueWatch } from './worker-watch.js';

const downloadTasks = tasks<typeof import('./download-task.js')>(
  new URL('./download-task.js', import.meta.url),
);

export interface EngineOptions {
  readonly run: ResolvedRun;
  readonly outDir: string;
  readonly total: number | undefined;
  /**
   * Stops the run cleanly: no new item starts, those in flight are stopped (their `.part` files
   * stay for a rerun) and come out as `interrupted`, then the summary (`stopped: true`).
   */
  readonly signal?: AbortSignal;
  readonly pool?: Record<string, unknown>;
}

type Internal = DownloadEvent | { readonly type: 'settled'; readonly result: ItemResult };

function failedFromError(item: DownloadItem, error: unknown): ItemResult {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown })?.code;
  return {
    index: item.index,
    url: item.url,
    name: item.name,
    outcome: 'failed',
    bytes: 0,
    attempts: 0,
    reason: message.split('\n')[0] ?? message,
    code: typeof code === 'string' ? code : 'ERR_TASK',
    ms: 0,
  };
}

/** Names in the output folder when the run starts (files, folders, links alike). */
async function listFolder(outDir: string): Promise<Set<string>> {
  return new Set(await readdir(outDir));
}

/** An item stopped in flight, with the `.part` file it left (when it left one with bytes). */
async function interruptedResult(
  stopped: { readonly item: DownloadItem; readonly bytes: number; readonly started: boolean },
  outDir: string,
): Promise<ItemResult> {
  const item = stopped.item;
  const partFile = `${item.name}.part`;
  const part = await lstat(join(outDir, partFile)).catch(() => undefined);
  return {
    index: item.index,
    url: item.url,
    name: item.name,
    outcome: 'interrupted',
    bytes: stopped.bytes,
    attempts: 0,
    reason: stopped.started
      ? 'stopped in flight: the run was interrupted'
      : 'not started: the run was interrupted',
    code: 'ERR_INTERRUPTED',
    ...(part?.isFile() && part.size > 0 ? { partFile, partBytes: part.size } : {}),
    ms: 0,
  };
}

function skippedResult(item: DownloadItem): ItemResult {
  return {
    index: item.index,
    url: item.url,
    name: item.name,
    outcome: 'skipped',
    bytes: 0,
    attempts: 0,
    ms: 0,
  };
}

/** Warns (a `warning` event) when no worker consumes the queue, and fails the run after `waitForWorker` s. */
function watchQueue(
  run: ResolvedRun,
  pool: Record<string, unknown>,
  channel: EventChannel<Internal>,
): QueueWatch {
  const watch = new QueueWatch({
    connection: pool.connection as ConnectionSpec | undefined,
    queue: typeof pool.queue === 'string' ? pool.queue : 'taskmill',
    prefix: typeof pool.prefix === 'string' ? pool.prefix : DEFAULT_PREFIX,
    waitForWorker: run.waitForWorker,
    warn: (code, message) => channel.push({ type: 'warning', code, message }),
    fail: (error) => channel.fail(error),
  });
  // Could it not reach Redis, the pool says so itself.
  watch.start().catch(() => {});
  return watch;
}

/**
 * Items submitted to the pool and not yet settled, at most: twice the concurrency, so a slot
 * that frees finds the next item there. The pool caps what runs at exactly the concurrency
 * (threads and processes: each worker runs concurrency / workers at once; resolveRun makes sure
 * the workers divide it).
 */
export function inFlightWindow(run: Pick<ResolvedRun, 'backend' | 'concurrency'>): number {
  return run.backend === 'sequential' ? 2 : Math.max(2, run.concurrency * 2);
}

export async function* runDownloads(
  items: AsyncIterable<DownloadItem> | Iterable<DownloadItem>,
  options: EngineOptions,
): AsyncGenerator<DownloadEvent, DownloadSummary> {
  const { run, outDir } = options;
  const began = performance.now();
  const settings = workerSettings(run, outDir);
  const pool = new Pool({
    ...(options.pool ?? {}),
    backend: run.backend,
    concurrency: run.concurrency,
    workers: run.workers,
    initializer: downloadTasks.setupDownloader,
    initializerArgs: [settings],
  });
  // Every backend keeps `concurrency` downloads in flight (threads/processes: each worker runs
  // ceil(concurrency / workers) of them at once), so the window of submitted items is sized by
  // concurrency, never by the worker count: twice it, so a worker finishing one finds the next.
  const window = inFlightWindow(run);
  const channel = new EventChannel<Internal>();
  interface Running {
    readonly item: DownloadItem;
    readonly cancel: (reason: Error) => unknown;
    readonly started: () => boolean;
    /** Bytes its progress reported. */
    bytes: number;
    /** When the run was interrupted: whether this item had started. */
    wasRunning?: boolean;
  }
  const jobs = new Map<string, Running>();
  pool.on('progress', (event) => {
    const data = event.data as { bytes?: unknown; size?: unknown; from?: unknown } | undefined;
    const job = event.jobId === undefined ? undefined : jobs.get(event.jobId);
    if (typeof data?.bytes !== 'number' || job === undefined) return;
    job.bytes += data.bytes;
    channel.push({
      type: 'bytes',
      index: job.item.index,
      name: job.item.name,
      bytes: data.bytes,
      ...(typeof data.size === 'number' ? { size: data.size } : {}),
      ...(typeof data.from === 'number' ? { from: data.from } : {}),
    });
  });
  const watch = run.backend === 'redis' ? watchQueue(run, options.pool ?? {}, channel) : undefined;
  const listing = await listFolder(outDir);
  let outstanding = 0;
  let wakeProducer: (() => void) | undefined;
  let stopped = false;
  let submitted = 0;
  let settled = 0;
  let producing = true;
  // Items stopped by the signal; their results are made once the pool has wound down.
  const stoppedItems: { readonly item: DownloadItem; readonly bytes: number; readonly started: boolean }[] =
    [];
  let interrupted = false;
  const maybeEnd = () => {
    if ((!producing || interrupted) && settled === submitted) channel.end();
  };
  const interrupt = () => {
    interrupted = true;
    stopped = true;
    const wake = wakeProducer;
    wakeProducer = undefined;
    wake?.();
    const reason = new Error('the download run was interrupted');
    for (const job of jobs.values()) {
      job.wasRunning = job.started();
      job.cancel(reason);
    }
    maybeEnd();
  };
  const producer = (async () => {
    for await (const listed of items) {
      if (stopped) break;
      while (outstanding >= window && !stopped) {
        await new Promise<void>((resolve) => {
          wakeProducer = resolve;
        });
      }
      if (stopped) break;
      outstanding++;
      submitted++;
      if (listing.has(listed.name)) {
        settled++;
        channel.push({ type: 'settled', result: skippedResult(listed) });
        continue;
      }
      const item: DownloadItem = {
        ...listed,
        found: listing.has(`${listed.name}.part`) ? 'partial' : 'absent',
      };
      let job: ReturnType<typeof pool.submit<[DownloadItem, typeof settings], ItemResult>>;
      try {
        job = pool.submit(downloadTasks.downloadFile, item, settings);
      } catch (error) {
        settled++;
        channel.push({ type: 'settled', result: failedFromError(item, error) });
        continue;
      }
      const id = job.id;
      const running: Running = {
        item,
        cancel: (reason) => job.cancel(reason),
        started: () => job.state === 'running',
        bytes: 0,
      };
      jobs.set(id, running);
      job.get().then(
        (result) => {
          jobs.delete(id);
          settled++;
          channel.push({ type: 'settled', result });
          maybeEnd();
        },
        (error: unknown) => {
          jobs.delete(id);
          settled++;
          if (interrupted) {
            stoppedItems.push({ item, bytes: running.bytes, started: running.wasRunning !== false });
            outstanding--;
          } else channel.push({ type: 'settled', result: failedFromError(item, error) });
          maybeEnd();
        },
      );
    }
    producing = false;
    maybeEnd();
  })();
  // Once interrupted, the input may fail as it is torn down (a crawl's page pool): that is not the run's failure.
  producer.catch((error: unknown) => {
    if (!interrupted) channel.fail(error);
  });
  const signal = options.signal;
  const onAbort = () => interrupt();
  if (signal?.aborted) interrupt();
  else signal?.addEventListener('abort', onAbort, { once: true });

  let downloaded = 0;
  let skipped = 0;
  let failed = 0;
  let resumed = 0;
  let partial = 0;
  let bytes = 0;
  let finished = false;
  const count = (result: ItemResult) => {
    if (result.outcome === 'downloaded') {
      downloaded++;
      if (result.resumedFrom !== undefined) resumed++;
    } else if (result.outcome === 'skipped') skipped++;
    else if (result.outcome === 'failed') failed++;
    if (result.partFile !== undefined) partial++;
    bytes += result.bytes;
  };
  try {
    yield {
      type: 'start',
      total: options.total,
      backend: run.backend,
      outDir,
      ...(run.backendReason !== undefined ? { backendReason: run.backendReason } : {}),
    };
    for await (const event of channel) {
      if (event.type === 'settled') {
        outstanding--;
        const wake = wakeProducer;
        wakeProducer = undefined;
        wake?.();
        const result = event.result;
        count(result);
        yield { type: 'item', result };
      } else {
        yield event;
      }
    }
    finished = true;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    // The run's per-host limits go from Redis with it.
    await watch?.finish(settings.runId);
    stopped = true;
    wakeProducer?.();
    if (finished) {
      pool.close();
      await pool.join();
    } else {
      await pool.terminate();
    }
    if (runsInProcess(run.backend)) {
      const module = (await import(
        new URL('./download-task.js', import.meta.url).href
      )) as typeof import('./download-task.js');
      await module.releaseDownloader(settings, !finished);
    }
  }
  // After the pool has wound down, the .part files of stopped items hold all they will.
  for (const stoppedItem of stoppedItems.sort((a, b) => a.item.index - b.item.index)) {
    const result = await interruptedResult(stoppedItem, outDir);
    count(result);
    yield { type: 'item', result };
  }
  const summary: DownloadSummary = {
    total: downloaded + skipped + failed + stoppedItems.length,
    downloaded,
    skipped,
    failed,
    interrupted: stoppedItems.length,
    resumed,
    partial,
    stopped: interrupted,
    bytes,
    seconds: (performance.now() - began) / 1000,
    backend: run.backend,
    outDir,
  };
  yield { type: 'end', summary };
  return summary;
}
