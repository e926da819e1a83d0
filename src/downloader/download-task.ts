/**
 * The downloader's task module: the same code runs on every backend (sequential, async,
 * threads, processes, redis). `setupDownloader` is the pool's initializer (one Agent per
 * worker); `downloadFile` is the per-item task. Arguments and results are plain data.
 */

import { realpathSync } from 'node:fs';
import { sep } from 'node:path';
import { reportProgress, workerContext } from '../core/task-context.js';
import { fetchFile } from './fetch-file.js';
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

/** Downloads one item; resolves with its outcome (failures included), never rejects for them. */
export function downloadFile(item: DownloadItem, settings: DownloadSettings): Promise<ItemResult> {
  const state = stateFor(settings);
  return fetchFile(state, item, state.stop.signal, settings.progressEvery > 0 ? reportBytes : undefined);
}

function reportBytes(bytes: number): void {
  reportProgress({ data: { bytes } });
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
  if (abandon) {
    state.stop.abort(new Error('the download run was abandoned'));
    await state.agent.destroy();
  } else {
    await state.agent.close();
  }
}
