/** The downloader's plain-data types: what crosses to workers and what comes back. */
import type { BackendName } from '../core/backend.js';

/** One file to fetch. `name` is already safe (see safe-name.ts); `path` = outDir/name. */
export interface DownloadItem {
  readonly url: string;
  readonly name: string;
  /** Position in the input, for reports. */
  readonly index: number;
  /**
   * What the caller found in the output folder when it listed it: `absent` (neither NAME nor
   * NAME.part; the worker need not look), `partial` (a NAME.part to resume). Omitted: the worker looks.
   */
  readonly found?: 'absent' | 'partial';
}

/** Settings every worker needs; plain data so they cross to threads, processes and Redis. */
export interface DownloadSettings {
  /** The real path of the output folder (already created and checked). */
  readonly outDir: string;
  readonly retries: number;
  /** First backoff delay in ms; doubles each retry, with jitter. */
  readonly backoff: number;
  /** Longest single backoff (also caps Retry-After), ms. */
  readonly maxBackoff: number;
  readonly connectTimeout: number;
  /** Longest silence while waiting for headers or between body chunks, ms. */
  readonly idleTimeout: number;
  readonly userAgent: string;
  /** Connections per host, per worker. */
  readonly connectionsPerHost: number;
  /** Requests per second for this worker (0 = unlimited). */
  readonly rate: number;
  /** Extra request headers (e.g. a cookie). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Report bytes progress every this many bytes of one file (0 = only at the end). */
  readonly progressEvery: number;
  /** The run these settings belong to. */
  readonly runId?: string;
  /**
   * The limits (connections per host, rate) are the run's in all, kept in the Redis of the
   * worker running the task (the redis backend: many workers, many machines).
   */
  readonly sharedLimits?: boolean;
}

/** `interrupted`: the run was stopped (Ctrl-C, the signal) while this item was in flight. */
export type Outcome = 'downloaded' | 'skipped' | 'failed' | 'interrupted';

/** How one item ended. Plain data. */
export interface ItemResult {
  readonly index: number;
  readonly url: string;
  readonly name: string;
  readonly outcome: Outcome;
  /** Bytes written to disk by this run (resumed downloads count only the new bytes). */
  readonly bytes: number;
  /** Size of the final file, when there is one. */
  readonly size?: number;
  /** HTTP requests made for this item. */
  readonly attempts: number;
  /** Byte offset a .part file was resumed from, when it was. */
  readonly resumedFrom?: number;
  /** Whether a checksum from the server was verified. */
  readonly verified?: boolean;
  /** Why it failed, in one line. */
  readonly reason?: string;
  /** Stable failure code, e.g. ERR_HTTP_STATUS, ERR_TIMEOUT, ERR_TRUNCATED, ERR_CHECKSUM. */
  readonly code?: string;
  /** A failure whose bytes so far were kept for a resume: the `.part` file's name in the output folder. */
  readonly partFile?: string;
  /** Bytes in `partFile`. */
  readonly partBytes?: number;
  /** The last HTTP status seen, when there was one. */
  readonly status?: number;
  readonly ms: number;
}

export interface DownloadSummary {
  readonly total: number;
  readonly downloaded: number;
  readonly skipped: number;
  readonly failed: number;
  /** Items stopped in flight when the run was interrupted (their .part files stay, for a rerun). */
  readonly interrupted: number;
  /** Downloaded items that resumed a .part file (a subset of `downloaded`). */
  readonly resumed: number;
  /** Failed or interrupted items whose bytes so far were kept as a resumable `.part` file. */
  readonly partial: number;
  /** Whether the run was stopped before its end (the signal fired). */
  readonly stopped: boolean;
  readonly bytes: number;
  readonly seconds: number;
  readonly backend: BackendName;
  readonly outDir: string;
}

export type DownloadEvent =
  | {
      readonly type: 'start';
      readonly total: number | undefined;
      readonly backend: BackendName;
      readonly outDir: string;
      /** With `backend: 'auto'`: what it picked and why, in one line. */
      readonly backendReason?: string;
    }
  | {
      readonly type: 'bytes';
      readonly index: number;
      readonly name: string;
      /** Bytes received since the last report of this item. */
      readonly bytes: number;
      /** Only on an attempt's first report of a large file: its full size (when the server said) and where the attempt starts (a resume). */
      readonly size?: number;
      readonly from?: number;
    }
  | { readonly type: 'item'; readonly result: ItemResult }
  /** Something the person running this should know now (e.g. no worker takes the jobs). */
  | { readonly type: 'warning'; readonly code: string; readonly message: string }
  | { readonly type: 'end'; readonly summary: DownloadSummary };
