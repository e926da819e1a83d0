/**
 * Per-worker HTTP state, made once by the pool's initializer (the seeds' one requests.Session
 * per thread): an undici Agent with keep-alive and a per-host connection cap, and this worker's
 * share of the request rate.
 */
import { Agent, buildConnector } from 'undici';
import { workerConnection } from '../distributed/worker-connection.js';
import { SharedLimitsError } from './errors.js';
import { RECYCLE_AFTER, SharedHostLimits } from './shared-limits.js';
import { TokenBucket } from './token-bucket.js';
import type { DownloadSettings } from './types.js';

/** With shared limits, an idle connection (and its lease) is kept this long. */
const SHARED_IDLE_MS = 250;

/** What paces requests: this worker's token bucket, or the run's in Redis. */
export interface RateLimit {
  take(signal?: AbortSignal): Promise<void>;
}

export interface DownloaderState {
  readonly kind: 'taskmill.downloader';
  readonly settings: DownloadSettings;
  readonly agent: Agent;
  readonly bucket: RateLimit;
  /** With shared limits (redis backend): the run's leases and bucket in Redis. */
  readonly shared?: SharedHostLimits;
  /** Fires when the run is abandoned: waits (backoff, rate) end at once. */
  readonly stop: AbortController;
}

export function createDownloaderState(settings: DownloadSettings): DownloaderState {
  const stop = new AbortController();
  const shared = settings.sharedLimits === true ? sharedLimits(settings, stop.signal) : undefined;
  const connectOptions = { timeout: settings.connectTimeout };
  const agent = new Agent({
    connections: settings.connectionsPerHost,
    connect: shared === undefined ? connectOptions : shared.connector(buildConnector(connectOptions)),
    headersTimeout: settings.idleTimeout,
    bodyTimeout: settings.idleTimeout,
    keepAliveTimeout: shared === undefined ? 30_000 : SHARED_IDLE_MS,
    // Shared leases: an idle connection soon gives its lease back (whatever keep-alive the server
    // offers), and a busy one now and then, so that every worker gets its turn.
    ...(shared === undefined
      ? {}
      : { keepAliveMaxTimeout: SHARED_IDLE_MS, maxRequestsPerClient: RECYCLE_AFTER }),
    pipelining: 1,
  });
  return {
    kind: 'taskmill.downloader',
    settings,
    agent,
    bucket: shared ?? new TokenBucket(settings.rate),
    ...(shared !== undefined ? { shared } : {}),
    stop,
  };
}

function sharedLimits(settings: DownloadSettings, stop: AbortSignal): SharedHostLimits {
  const worker = workerConnection();
  if (worker === undefined || settings.runId === undefined) {
    throw new SharedLimitsError(
      'this download shares its per-host limits through Redis, but it is not running on a taskmill worker: start one with `taskmill worker --tasks <dist>/downloader/download-task.js`',
    );
  }
  return new SharedHostLimits(
    {
      connection: worker.connection,
      prefix: worker.prefix,
      runId: settings.runId,
      connectionsPerHost: settings.connectionsPerHost,
      rate: settings.rate,
    },
    stop,
  );
}

export function isDownloaderState(value: unknown): value is DownloaderState {
  return (value as { kind?: unknown } | null)?.kind === 'taskmill.downloader';
}
