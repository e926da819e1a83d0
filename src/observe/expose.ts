/**
 * `pool.expose({ dashboard })`: shows a local pool on a dashboard. The dashboard is either one
 * started in this process (`startDashboard()`), which reads the pool's metrics when it draws,
 * or the URL of a `taskmill dashboard` elsewhere, to which the pool posts a snapshot every
 * second (with the dashboard's token). Exposing switches the pool's metrics on.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { type LongTimer, startTimer } from '../core/long-timer.js';
import { assertKnownKeys } from '../core/option-keys.js';
import type { PoolMetrics } from './pool-metrics.js';
import { metricsOf, type ObservedPool } from './pool-observe.js';

/** A dashboard that pools in this process can join (what `startDashboard()` returns). */
export interface PoolBoard {
  /** @internal Shows a pool; the returned function takes it off. */
  _attachPool(read: () => PoolMetrics): () => void;
}

export interface ExposeOptions {
  /** A dashboard from `startDashboard()`, or a dashboard's URL (`http://127.0.0.1:7070`). */
  readonly dashboard: PoolBoard | string | URL;
  /** The pool's name on the dashboard and in metrics (default `pool-N`). */
  readonly name?: string;
  /** With a URL: the dashboard's token (default: $TASKMILL_DASHBOARD_TOKEN). */
  readonly token?: string;
  /** With a URL: ms between reports (default 1,000). */
  readonly interval?: number;
}

export interface Exposure {
  /** Takes the pool off the dashboard. */
  stop(): Promise<void>;
}

const KEYS = ['dashboard', 'name', 'token', 'interval'];

export function exposePool(pool: ObservedPool, options: ExposeOptions): Exposure {
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError(
      "pool.expose() takes { dashboard }, e.g. pool.expose({ dashboard: 'http://127.0.0.1:7070' })",
    );
  }
  assertKnownKeys(options, KEYS, 'pool.expose() options');
  if (options.name !== undefined && (typeof options.name !== 'string' || options.name === '')) {
    throw new InvalidArgumentError('name must be a non-empty string');
  }
  const metrics = metricsOf(pool, options.name);
  const board = options.dashboard;
  if (typeof board === 'object' && board !== null && '_attachPool' in board) {
    const detach = board._attachPool(() => metrics.snapshot());
    return { stop: async () => detach() };
  }
  if (typeof board !== 'string' && !(board instanceof URL)) {
    throw new InvalidArgumentError('dashboard must be a dashboard from startDashboard() or its URL');
  }
  let url: URL;
  try {
    url = new URL('/api/pools', board);
  } catch {
    throw new InvalidArgumentError(
      `dashboard ${JSON.stringify(String(board))} is not a URL: use e.g. http://127.0.0.1:7070`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidArgumentError(`dashboard URL must be http:// or https://, got ${url.protocol}`);
  }
  const token = options.token ?? process.env.TASKMILL_DASHBOARD_TOKEN;
  const interval = options.interval ?? 1000;
  if (typeof interval !== 'number' || !(interval >= 50)) {
    throw new InvalidArgumentError(`interval must be at least 50 ms, got ${String(interval)}`);
  }
  let stopped = false;
  let timer: LongTimer | undefined;
  let sending: Promise<void> = Promise.resolve();
  const send = (gone: boolean) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { 'x-taskmill-token': token } : {}) },
      body: JSON.stringify({ gone, metrics: metrics.snapshot() }),
      signal: AbortSignal.timeout(5000),
    }).then(
      (response) => void response.body?.cancel(),
      () => {}, // the dashboard is away: the next report tries again
    );
  const tick = () => {
    if (stopped) return;
    sending = send(false).then(() => {
      if (!stopped) {
        timer = startTimer(tick, interval);
      }
    });
  };
  tick();
  return {
    async stop() {
      if (stopped) return;
      stopped = true;
      timer?.clear();
      await sending;
      await send(true);
    },
  };
}
