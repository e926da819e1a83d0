/**
 * Test helper: a real HTTP server on 127.0.0.1 whose answers each test scripts per path, for
 * misbehaviour the gallery stand-in does not offer (wrong digests, wrong 206/416 answers,
 * redirects, Retry-After). It records every request (path, headers, arrival time) and counts
 * requests in flight, so tests can assert what the client actually did on the wire.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  /** performance.now() when the request arrived. */
  readonly at: number;
  /** 1 for the first request of this path. */
  readonly attempt: number;
}

/** Answers one request; `attempt` counts the requests of this path so far (1 = first). */
export type Handler = (req: IncomingMessage, res: ServerResponse, attempt: number) => unknown;

export interface ScriptedServer {
  readonly url: string;
  /** Every request, in arrival order. */
  readonly seen: SeenRequest[];
  /** Requests of `path` (e.g. `/a.jpg`). */
  requestsOf(path: string): SeenRequest[];
  /** Most requests being answered at once. */
  readonly maxInFlight: number;
  route(path: string, handler: Handler): void;
  close(): Promise<void>;
}

export async function startScriptedServer(routes: Record<string, Handler> = {}): Promise<ScriptedServer> {
  const table = new Map(Object.entries(routes));
  const seen: SeenRequest[] = [];
  const attempts = new Map<string, number>();
  let inFlight = 0;
  let maxInFlight = 0;
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] as string;
    const attempt = (attempts.get(path) ?? 0) + 1;
    attempts.set(path, attempt);
    seen.push({ method: req.method ?? 'GET', path, headers: req.headers, at: performance.now(), attempt });
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.once('close', () => inFlight--);
    const handler = table.get(path);
    if (handler === undefined) {
      res.writeHead(404, { 'content-length': 0 }).end();
      return;
    }
    Promise.resolve(handler(req, res, attempt)).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(error));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    requestsOf: (path) => seen.filter((request) => request.path === path),
    get maxInFlight() {
      return maxInFlight;
    },
    route: (path, handler) => table.set(path, handler),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The first byte offset a `Range: bytes=N-` header asks for, or undefined. */
export function rangeStart(req: IncomingMessage): number | undefined {
  const match = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  return match === null ? undefined : Number(match[1]);
}
