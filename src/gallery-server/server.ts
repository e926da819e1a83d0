/**
 * The stand-in for Imgur's gallery API, its image host and doutula's list pages, on loopback.
 * Lean by design so it is never the bottleneck: bodies are precomputed and shared, pages are
 * built once, and each response streams with backpressure.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { faultFor } from './faults.js';
import { DigestCache, sharedBody } from './image-bodies.js';
import { sendImage } from './image-response.js';
import { type GalleryServerOptions, type ResolvedServerOptions, resolveServerOptions } from './options.js';
import { galleryJson, listPageHtml, UNAUTHORIZED_JSON } from './pages.js';
import { ServerStats } from './server-stats.js';

export interface GalleryServer {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** The gallery API endpoint to pass as `--api-url`. */
  readonly apiUrl: string;
  /** List page N is `${listUrl}?page=N`. */
  readonly listUrl: string;
  readonly options: ResolvedServerOptions;
  readonly stats: ServerStats;
  /** Stops listening and drops every open connection. */
  close(): Promise<void>;
}

const IMAGE_PATH = /^\/i\/(\d+)(?:[./]|$)/;
const CLIENT_ID = /^Client-ID \S+$/;

function indexText(base: string, options: ResolvedServerOptions): string {
  return (
    'taskmill stand-in gallery server\n' +
    `gallery API: ${base}/3/gallery/ (Authorization: Client-ID <id>)\n` +
    `images:      ${base}/i/<n>.jpg (${options.imageSize} bytes each)\n` +
    `list pages:  ${base}/photo/list/?page=<n> (${options.pages} pages)\n`
  );
}

export async function startGalleryServer(options: GalleryServerOptions = {}): Promise<GalleryServer> {
  const resolved = resolveServerOptions(options);
  const stats = new ServerStats();
  const digests = resolved.checksums ? new DigestCache(resolved.seed, resolved.imageSize) : undefined;
  sharedBody(resolved.seed, resolved.imageSize);
  let base = '';
  let gallery: Buffer | undefined;
  const pages = new Map<number, Buffer>();

  const sendText = (res: ServerResponse, status: number, type: string, body: Buffer | string): void => {
    stats.countStatus(status);
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) }).end(body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    stats.requests++;
    if (stats.requestTimes.length < 1_000_000) stats.requestTimes.push(performance.now());
    const agent = req.headers['user-agent'];
    if (agent !== undefined && stats.userAgents.size < 100) stats.userAgents.add(agent);
    const url = req.url ?? '/';
    const image = IMAGE_PATH.exec(url);
    if (image !== null && (req.method === 'GET' || req.method === 'HEAD')) {
      const id = Number(image[1]);
      // HEAD gets the answer the next GET would get (Node sends no body for it), and uses up no fault.
      const attempt = req.method === 'HEAD' ? stats.requestsFor(id) + 1 : stats.countImage(id);
      await sendImage(req, res, { id, attempt, fault: faultFor(resolved, id) }, resolved, digests, stats);
      return;
    }
    if (url.startsWith('/3/gallery')) {
      stats.apiRequests++;
      if (resolved.apiLatency > 0) await sleep(resolved.apiLatency);
      const auth = req.headers.authorization;
      const ok =
        auth !== undefined &&
        CLIENT_ID.test(auth) &&
        (resolved.clientId === undefined || auth === `Client-ID ${resolved.clientId}`);
      if (!ok) return sendText(res, 401, 'application/json', UNAUTHORIZED_JSON);
      gallery ??= Buffer.from(galleryJson(resolved, base));
      return sendText(res, 200, 'application/json', gallery);
    }
    if (url.startsWith('/photo/list')) {
      stats.pageRequests++;
      if (resolved.apiLatency > 0) await sleep(resolved.apiLatency);
      const page = Number(new URL(url, base).searchParams.get('page') ?? '1');
      if (!Number.isInteger(page) || page < 1) return sendText(res, 404, 'text/plain', 'no such page\n');
      let html = pages.get(page);
      if (html === undefined) {
        html = Buffer.from(listPageHtml(resolved, base, page));
        if (page <= resolved.pages) pages.set(page, html);
      }
      return sendText(res, 200, 'text/html; charset=utf-8', html);
    }
    if (url === '/' || url.startsWith('/?')) {
      // The address serve-gallery prints: `curl -I` on it (HEAD, answered as GET without a body) works.
      return sendText(res, 200, 'text/plain; charset=utf-8', indexText(base, resolved));
    }
    if (url.startsWith('/a/')) {
      return sendText(res, 200, 'text/html; charset=utf-8', '<!DOCTYPE html><title>album</title>');
    }
    sendText(res, 404, 'text/plain', 'not found\n');
  };

  const server = createServer(
    { keepAliveTimeout: 30_000, noDelay: true, maxHeaderSize: 128 * 1024 },
    (req, res) => {
      handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) sendText(res, 500, 'text/plain', `server error: ${String(error)}\n`);
        else res.destroy();
      });
    },
  );
  server.on('clientError', (_error, socket) => socket.destroy());
  server.on('connection', (socket) => {
    stats.connectionOpened();
    socket.once('close', () => stats.openConnections--);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(resolved.port, resolved.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  base = `http://${host}:${address.port}`;
  return {
    url: base,
    apiUrl: `${base}/3/gallery/`,
    listUrl: `${base}/photo/list/`,
    options: resolved,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
