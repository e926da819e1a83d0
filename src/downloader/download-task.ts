/**
 * The downloader's task module: the same code runs on every backend (sequential, async,
 * threads, processes, redis). `setupDownloader` is the pool's initializer (one Agent per
 * worker); `downloadFile` is the per-item task. Arguments and results are plain data.
 */

import { AsyncResource } from 'node:async_hooks';
import { realpathSync } from 'node:fs';
import { sep } from 'node:path';
import { currentTask, reportProgress, workerContext } from '../core/task-context.js';
import { linkAbort, unlinkAbort } from '../pool/abort-links.js';
import { type FileProgress, fetchFile } from './fetch-file.js';
import { createDownloaderState, type DownloaderState, isDownloaderState } from './http-state.js';
import { assertRealFolder, UnsafePathError } from './safe-name.js';
import type { DownloadItem, DownloadSettings, ItemResult } from './types.js';

/** States by settings, for workers that never ran the initializer (e.g. a remote worker). */
const fallbackStates = new Map<string, DownloaderState>();

function keyOf(settings: DownloadSettings): string {
  return JSON.stringify(settings);
}

/** Pool initializer: this worker's HTTP state (Agent with keep-alive, connection cap, rate share). */
export function setupDownloader(settings: DownloadSettings): DownloaderState {
  assertRealFolder(settings.outDir);
  assertAllowedFolder(settings.outDir);
  const state = createDownloaderState(settings);
  fallbackStates.set(keyOf(settings), state);
  return state;
}

/**
 * On a shared worker (the redis backend), callers choose the output folder. Set
 * TASKMILL_DOWNLOAD_ROOT on the worker to confine every download to that folder tree.
 */
function assertAllowedFolder(outDir: string): void {
  const root = process.env.TASKMILL_DOWNLOAD_ROOT;
  if (root === undefined || root === '') return;
  const realRoot = realpathSync(root);
  if (outDir !== realRoot && !outDir.startsWith(realRoot.endsWith(sep) ? realRoot : realRoot + sep)) {
    throw new UnsafePathError(
      `this worker only writes under TASKMILL_DOWNLOAD_ROOT (${realRoot}), not ${outDir}`,
    );
  }
}

function stateFor(settings: DownloadSettings): DownloaderState {
  let context: unknown;
  try {
    context = workerContext();
  } catch {
    context = undefined;
  }
  if (
    isDownloaderState(context) &&
    (context.settings === settings || keyOf(context.settings) === keyOf(settings))
  ) {
    return context;
  }
  const key = keyOf(settings);
  let state = fallbackStates.get(key);
  if (state === undefined) {
    assertRealFolder(settings.outDir);
    assertAllowedFolder(settings.outDir);
    state = createDownloaderState(settings);
    fallbackStates.set(key, state);
  }
  return state;
}

/** Downloads running in this thread, by state: an in-process run waits for them to park their .part files. */
const running = new WeakMap<DownloaderState, Set<Promise<unknown>>>();

/**
 * Downloads one item; resolves with its outcome (failures included), never rejects for them.
 * Cancelling the task (an interrupted run) stops its request; the bytes so far stay in NAME.part.
 */
export async function downloadFile(item: DownloadItem, settings: DownloadSettings): Promise<ItemResult> {
  const state = stateFor(settings);
  // This download's own signal: it fires when the run is abandoned or this task is cancelled. Its
  // request listens to it alone; the run's signal keeps one listener for all (abort-links).
  const own = new AbortController();
  const stop = state.stop.signal;
  const target = { aborted: (reason: unknown) => own.abort(reason) };
  const task = currentTask()?.signal;
  const onTask = () => own.abort(task?.reason);
  if (stop.aborted) own.abort(stop.reason);
  else linkAbort(stop, target);
  if (task?.aborted) own.abort(task.reason);
  else task?.addEventListener('abort', onTask, { once: true });
  // Bound here, inside the task: body chunks arrive in the socket's async context, not the task's.
  const progress = settings.progressEvery > 0 ? AsyncResource.bind(reportBytes) : undefined;
  const work = fetchFile(state, item, own.signal, progress);
  let set = running.get(state);
  if (set === undefined) running.set(state, (set = new Set()));
  set.add(work);
  try {
    return await work;
  } finally {
    set.delete(work);
    unlinkAbort(stop, target);
    task?.removeEventListener('abort', onTask);
  }
}

function reportBytes(bytes: number, file?: FileProgress): void {
  reportProgress({ data: file === undefined ? { bytes } : { bytes, size: file.size, from: file.from } });
}

/**
 * Releases the HTTP state of these settings in this thread (after an in-process run). With
 * `abandon`, downloads still running stop at once (their .part files stay, for a resume).
 */
export async function releaseDownloader(settings: DownloadSettings, abandon = false): Promise<void> {
  const key = keyOf(settings);
  const state = fallbackStates.get(key);
  fallbackStates.delete(key);
  if (state === undefined) return;
  if (abandon) state.stop.abort(new Error('the download run was abandoned'));
  // Stopped downloads finish writing what they received to their .part files before the connections go.
  await Promise.allSettled(running.get(state) ?? []);
  if (abandon) {
    await state.agent.destroy();
  } else {
    await state.agent.close();
  }
}
