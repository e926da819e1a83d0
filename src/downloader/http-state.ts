/**
 * Per-worker HTTP state, made once by the pool's initializer (the seeds' one requests.Session
 * per thread): an undici Agent with keep-alive and a per-host connection cap, and this worker's
 * share of the request rate.
 */
import { Agent } from 'undici';
import { TokenBucket } from './token-bucket.js';
import type { DownloadSettings } from './types.js';

export interface DownloaderState {
  readonly kind: 'taskmill.downloader';
  readonly settings: DownloadSettings;
  readonly agent: Agent;
  readonly bucket: TokenBucket;
  /** Fires when the run is abandoned: waits (backoff, rate) end at once. */
  readonly stop: AbortController;
}

export function createDownloaderState(settings: DownloadSettings): DownloaderState {
  const agent = new Agent({
    connections: settings.connectionsPerHost,
    connect: { timeout: settings.connectTimeout },
    headersTimeout: settings.idleTimeout,
    bodyTimeout: settings.idleTimeout,
    keepAliveTimeout: 30_000,
    pipelining: 1,
  });
  return {
    kind: 'taskmill.downloader',
    settings,
    agent,
    bucket: new TokenBucket(settings.rate),
    stop: new AbortController(),
  };
}

export function isDownloaderState(value: unknown): value is DownloaderState {
  return (value as { kind?: unknown } | null)?.kind === 'taskmill.downloader';
}
