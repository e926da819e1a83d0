/**
 * `startDashboard()`: the HTTP server behind `taskmill dashboard`. It serves the page, a JSON
 * API, live updates as Server-Sent Events (one `state` event per refresh: queues with counts and
 * chart history, workers, local pools) and Prometheus metrics at /metrics. Redis is read in
 * bounded, paged commands (redis-reader.ts); the rules of security.ts apply to every request.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import { InvalidArgumentError } from '../core/errors.js';
import type { PoolBoard as ExposeTarget } from '../observe/expose.js';
import type { PoolMetrics } from '../observe/pool-metrics.js';
import {
  type MetricFamily,
  PROMETHEUS_CONTENT_TYPE,
  poolFamilies,
  renderPrometheus,
} from '../observe/prometheus-text.js';
import { type DashboardOptions, resolveDashboardOptions } from './dashboard-options.js';
import { jobPart, jobView } from './job-view.js';
import { PAGE_CSS, PAGE_JS, pageHtml } from './page.js';
import { PoolBoard, type PoolRow, validReport } from './pool-board.js';
import { QueueHistory } from './queue-history.js';
import { checkJobId, JOB_STATES, type JobState, RedisReader } from './redis-reader.js';
import type { QueueCounts, WorkerInfo } from './redis-rows.js';
import { type Guard, makeGuard } from './security.js';

export interface Dashboard extends ExposeTarget {
  /** `http://host:port/`. */
  readonly url: string;
  readonly port: number;
  /** The token actions need (yours, or the one made for this run). */
  readonly token: string;
  /** The live state as the page receives it. */
  state(): Promise<DashboardState>;
  close(): Promise<void>;
}

export interface QueueState {
  readonly name: string;
  readonly counts: QueueCounts;
  readonly paused: boolean;
  readonly workers: number;
  /** [ms, waiting, active, completed/s, failed/s]. */
  readonly history: readonly (readonly number[])[];
}

export interface DashboardState {
  readonly at: number;
  readonly redis: 'connected' | 'none' | string;
  readonly queues: readonly QueueState[];
  readonly workers: readonly WorkerInfo[];
  readonly pools: readonly PoolRow[];
}

const BODY_LIMIT = 1024 * 1024;
const PAGE_SIZE_MAX = 100;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function startDashboard(options: DashboardOptions = {}): Promise<Dashboard> {
  const resolved = resolveDashboardOptions(options);
  const guard: Guard = makeGuard(resolved.host, resolved.token);
  const pools = new PoolBoard();
  let client: Redis | undefined;
  let reader: RedisReader | undefined;
  if (resolved.connection !== undefined) {
    const { connect, redisOptions } = await import('../distributed/connection.js');
    client = await connect(redisOptions(resolved.connection), 'dashboard', resolved.connectTimeout);
    reader = new RedisReader(client, resolved.prefix, resolved.queues);
  }
  const histories = new Map<string, QueueHistory>();
  let latest: DashboardState = {
    at: Date.now(),
    redis: reader ? 'connected' : 'none',
    queues: [],
    workers: [],
    pools: [],
  };
  const clients = new Set<ServerResponse>();

  const sample = async (): Promise<DashboardState> => {
    const at = Date.now();
    const queues: QueueState[] = [];
    const workers: WorkerInfo[] = [];
    let redis: string = reader ? 'connected' : 'none';
    if (reader !== undefined) {
      try {
        for (const name of await reader.queueNames()) {
          const [{ counts, paused }, list] = await Promise.all([
            reader.counts(name),
            reader.workers(name, at),
          ]);
          let history = histories.get(name);
          if (history === undefined) histories.set(name, (history = new QueueHistory()));
          history.add(at, counts, list);
          workers.push(...list);
          queues.push({
            name,
            counts,
            paused,
            workers: list.filter((w) => w.status === 'up').length,
            history: history.points(),
          });
        }
      } catch (error) {
        redis = `unreachable: ${error instanceof Error ? error.message : String(error)}`;
      }
    }
    latest = { at, redis, queues, workers, pools: pools.rows(at) };
    return latest;
  };

  let ticking = false;
  const tick = async () => {
    if (ticking) return;
    ticking = true;
    try {
      const state = await sample();
      const frame = `event: state\ndata: ${JSON.stringify(state)}\n\n`;
      for (const response of clients) response.write(frame);
    } finally {
      ticking = false;
    }
  };
  const timer = setInterval(() => void tick(), resolved.refreshMs);
  timer.unref();
  const heartbeat = setInterval(() => {
    for (const response of clients) response.write(': keep-alive\n\n');
  }, 15_000);
  heartbeat.unref();

  const metricsText = async (): Promise<string> => {
    const state = await sample();
    const families: MetricFamily[] = [...poolFamilies(pools.metrics(state.at))];
    const queueJobs: MetricFamily = {
      name: 'taskmill_queue_jobs',
      help: 'Jobs on a Redis queue, by state (queue depth: waiting).',
      type: 'gauge',
      samples: state.queues.flatMap((q) =>
        JOB_STATES.map((s) => ({ labels: { queue: q.name, state: s }, value: q.counts[s] })),
      ),
    };
    const queueWorkers: MetricFamily = {
      name: 'taskmill_queue_workers',
      help: 'Workers heartbeating on a Redis queue.',
      type: 'gauge',
      samples: state.queues.map((q) => ({ labels: { queue: q.name }, value: q.workers })),
    };
    const queuePaused: MetricFamily = {
      name: 'taskmill_queue_paused',
      help: '1 when the queue is paused.',
      type: 'gauge',
      samples: state.queues.map((q) => ({ labels: { queue: q.name }, value: q.paused ? 1 : 0 })),
    };
    return renderPrometheus([...families, queueJobs, queueWorkers, queuePaused]);
  };

  const needReader = (): RedisReader => {
    if (reader === undefined)
      throw new HttpError(404, 'this dashboard shows no Redis queues (start it with --redis)');
    return reader;
  };

  const api = async (
    request: IncomingMessage,
    response: ServerResponse,
    parts: string[],
    query: URLSearchParams,
  ) => {
    const method = request.method ?? 'GET';
    if (method === 'POST') {
      const refused = guard.refusePost(request, port);
      if (refused !== undefined) throw new HttpError(refused.status, refused.message);
    }
    // /api/state, /api/events, /api/pools
    if (parts[1] === 'state' && method === 'GET') return sendJson(response, 200, await sample());
    if (parts[1] === 'events' && method === 'GET') {
      response.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      response.write(`retry: 2000\nevent: state\ndata: ${JSON.stringify(await sample())}\n\n`);
      clients.add(response);
      request.on('close', () => clients.delete(response));
      return;
    }
    if (parts[1] === 'pools' && parts.length === 2 && method === 'POST') {
      const checked = validReport(await readJson(request));
      if (typeof checked === 'string') throw new HttpError(400, checked);
      pools.report(checked.metrics, checked.gone);
      return sendJson(response, 200, { ok: true });
    }
    if (parts[1] !== 'queues' || parts[2] === undefined) throw new HttpError(404, 'no such API');
    const queues = needReader();
    const queue = parts[2];
    try {
      await queues.queue(queue);
    } catch (error) {
      throw new HttpError(404, (error as Error).message);
    }
    const action = parts[3];
    if (method === 'POST' && parts.length === 4) {
      const body = (await readJson(request)) as Record<string, unknown> | undefined;
      switch (action) {
        case 'pause':
          await queues.pause(queue);
          return sendJson(response, 200, { ok: true, message: `queue ${queue} paused` });
        case 'resume':
          await queues.resume(queue);
          return sendJson(response, 200, { ok: true, message: `queue ${queue} resumed` });
        case 'retry-failed': {
          const count = await queues.retryAllFailed(queue);
          return sendJson(response, 200, {
            ok: true,
            message: `${count} failed job(s) waiting to run again`,
          });
        }
        case 'clean': {
          const state = body?.state;
          if (state !== 'completed' && state !== 'failed')
            throw new HttpError(400, 'clean takes { state: "completed" | "failed" }');
          const grace = typeof body?.graceMs === 'number' && body.graceMs >= 0 ? body.graceMs : 0;
          const removed = await queues.clean(queue, state, grace, 10_000);
          return sendJson(response, 200, {
            ok: true,
            message: `removed ${removed} ${state} job(s)${removed === 10_000 ? ' (the first 10,000: clean again for more)' : ''}`,
          });
        }
      }
      throw new HttpError(404, `no action ${action}`);
    }
    if (action !== 'jobs') throw new HttpError(404, 'no such API');
    const id = parts[4];
    if (id === undefined && method === 'GET') {
      const state = (query.get('state') ?? 'failed') as JobState;
      if (!JOB_STATES.includes(state))
        throw new HttpError(400, `state must be one of ${JOB_STATES.join(', ')}`);
      const page = Math.max(0, Math.floor(Number(query.get('page') ?? 0)) || 0);
      const size = Math.min(PAGE_SIZE_MAX, Math.max(1, Math.floor(Number(query.get('size') ?? 25)) || 25));
      const search = (query.get('q') ?? '').slice(0, 200).trim();
      return sendJson(response, 200, {
        page,
        size,
        state,
        ...(await queues.jobs(queue, state, page, size, search)),
      });
    }
    if (id === undefined) throw new HttpError(400, 'give a job id');
    try {
      checkJobId(id);
    } catch (error) {
      throw new HttpError(400, (error as Error).message);
    }
    if (method === 'GET' && parts.length === 5) {
      const found = await queues.job(queue, id);
      if (found === undefined)
        throw new HttpError(404, `no job ${id} on queue ${queue} (finished jobs expire)`);
      return sendJson(response, 200, jobView(queue, id, found.state, found.hash, found.attempts));
    }
    if (method === 'GET' && parts[5] === 'download') {
      const found = await queues.job(queue, id);
      const part = query.get('part') ?? 'args';
      const text = found === undefined ? undefined : jobPart(found.hash, part);
      if (text === undefined) throw new HttpError(404, `job ${id} has no ${part}`);
      response.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'content-disposition': `attachment; filename="job-${id.replace(/[^A-Za-z0-9_.-]/g, '_')}-${part}.json"`,
      });
      response.end(text);
      return;
    }
    if (method === 'POST' && parts[5] === 'retry') {
      try {
        await queues.retry(queue, id);
      } catch (error) {
        if (error instanceof InvalidArgumentError) throw new HttpError(409, error.message);
        throw error;
      }
      return sendJson(response, 200, { ok: true, message: `job ${id} is waiting to run again` });
    }
    if (method === 'POST' && parts[5] === 'remove') {
      if (!(await queues.remove(queue, id)))
        throw new HttpError(409, `job ${id} was not removed: it is gone already, or running`);
      return sendJson(response, 200, { ok: true, message: `job ${id} removed` });
    }
    throw new HttpError(404, 'no such API');
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    securityHeaders(response);
    const refused = guard.refuse(request, port);
    if (refused !== undefined) {
      if (refused.status === 401)
        response.setHeader('www-authenticate', 'Basic realm="taskmill dashboard", charset="UTF-8"');
      return sendText(response, refused.status, refused.message);
    }
    const url = new URL(request.url ?? '/', 'http://dashboard.invalid');
    const method = request.method ?? 'GET';
    let parts: string[];
    try {
      parts = url.pathname
        .split('/')
        .filter((p) => p !== '')
        .map((p) => decodeURIComponent(p));
    } catch {
      return sendText(response, 400, 'malformed path');
    }
    if (method !== 'GET' && method !== 'HEAD' && method !== 'POST')
      return sendText(response, 405, 'use GET or POST');
    if (parts.length === 0 && method !== 'POST') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      return void response.end(pageHtml(guard.token));
    }
    if (parts.length === 1 && parts[0] === 'app.js' && method !== 'POST') {
      response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
      return void response.end(PAGE_JS);
    }
    if (parts.length === 1 && parts[0] === 'app.css' && method !== 'POST') {
      response.writeHead(200, { 'content-type': 'text/css; charset=utf-8' });
      return void response.end(PAGE_CSS);
    }
    if (parts.length === 1 && parts[0] === 'metrics' && method !== 'POST') {
      response.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE });
      return void response.end(await metricsText());
    }
    if (parts[0] === 'api') return api(request, response, parts, url.searchParams);
    if (method === 'POST') {
      const post = guard.refusePost(request, port);
      if (post !== undefined) return sendText(response, post.status, post.message);
    }
    return sendText(response, 404, 'not found');
  };

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500;
      const message = error instanceof Error ? error.message : String(error);
      if (response.headersSent) response.end();
      else sendJson(response, status, { ok: false, error: message });
    });
  });
  server.keepAliveTimeout = 5000;
  let port = resolved.port;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(resolved.port, resolved.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    client?.disconnect();
    clearInterval(timer);
    clearInterval(heartbeat);
    throw error;
  }
  port = (server.address() as AddressInfo).port;
  await tick();
  const shownHost = resolved.host.includes(':') ? `[${resolved.host}]` : resolved.host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${port}/`,
    port,
    token: guard.token,
    state: sample,
    _attachPool(read: () => PoolMetrics) {
      return pools.attach(read);
    },
    close() {
      closing ??= (async () => {
        clearInterval(timer);
        clearInterval(heartbeat);
        for (const response of clients) response.end();
        clients.clear();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await reader?.close();
        await client?.quit().catch(() => client?.disconnect());
      })();
      return closing;
    },
  };
}

function securityHeaders(response: ServerResponse): void {
  response.setHeader(
    'content-security-policy',
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  );
  response.setHeader('x-content-type-options', 'nosniff');
  response.setHeader('x-frame-options', 'DENY');
  response.setHeader('referrer-policy', 'no-referrer');
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
  });
  response.end(JSON.stringify(body));
}

function sendText(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  response.end(`${text}\n`);
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const type = request.headers['content-type'] ?? '';
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > BODY_LIMIT) throw new HttpError(413, 'request body over 1 MiB');
    chunks.push(chunk);
  }
  if (size === 0) return undefined;
  if (!type.startsWith('application/json'))
    throw new HttpError(415, 'send JSON (content-type: application/json)');
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'the body is not valid JSON');
  }
}
