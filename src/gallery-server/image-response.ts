/** Sends one image, well or badly, streaming the shared body with backpressure. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Fault } from './faults.js';
import type { DigestCache } from './image-bodies.js';
import { imagePieces } from './image-bodies.js';
import type { ResolvedServerOptions } from './options.js';
import type { ServerStats } from './server-stats.js';

const RANGE = /^bytes=(\d+)-$/;

function write(res: ServerResponse, chunk: Buffer): Promise<void> | undefined {
  if (res.write(chunk)) return undefined;
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Writes `pieces` in slices of `slice` bytes with `pause` ms between them. */
async function trickle(res: ServerResponse, pieces: Buffer[], slice: number, pause: number): Promise<void> {
  // Pauses end when the connection closes, so a closing server is never held up by a drip.
  const closed = new AbortController();
  res.once('close', () => closed.abort());
  for (const piece of pieces) {
    for (let at = 0; at < piece.length; at += slice) {
      if (res.destroyed) return;
      const wait = write(res, piece.subarray(at, at + slice));
      if (wait !== undefined) await wait;
      if (pause > 0) await sleep(pause, undefined, { signal: closed.signal }).catch(() => {});
    }
  }
}

export interface ImageRequest {
  readonly id: number;
  readonly fault: Fault;
  /** 1 for the first request of this image. */
  readonly attempt: number;
}

export async function sendImage(
  req: IncomingMessage,
  res: ServerResponse,
  image: ImageRequest,
  options: ResolvedServerOptions,
  digests: DigestCache | undefined,
  stats: ServerStats,
): Promise<void> {
  if (options.latency > 0) await sleep(options.latency);
  if (res.destroyed || res.writableEnded) return;
  const faulty = image.attempt <= options.faultAttempts;
  const fault = image.fault;
  if (fault === 'missing' || (faulty && fault === 'error') || (faulty && fault === 'too-many-requests')) {
    const status = fault === 'missing' ? 404 : fault === 'error' ? 500 : 429;
    const headers: Record<string, string | number> = { 'content-type': 'text/plain' };
    if (status === 429) headers['retry-after'] = String(options.retryAfter);
    const body = status === 404 ? 'no such image\n' : status === 500 ? 'internal error\n' : 'slow down\n';
    headers['content-length'] = Buffer.byteLength(body);
    stats.countStatus(status);
    res.writeHead(status, headers).end(body);
    return;
  }
  if (faulty && fault === 'reset') {
    stats.countStatus(0);
    req.socket.resetAndDestroy();
    return;
  }
  const size = options.imageSize;
  let start = 0;
  const range = options.ranges ? req.headers.range : undefined;
  if (range !== undefined) {
    const match = RANGE.exec(range);
    if (match !== null) {
      start = Number(match[1]);
      stats.rangeRequests++;
      if (start >= size) {
        stats.countStatus(416);
        res.writeHead(416, { 'content-range': `bytes */${size}`, 'content-length': 0 }).end();
        return;
      }
    }
  }
  const headers: Record<string, string | number> = {
    'content-type': image.id >= 1_000_000_000 && image.id < 2_000_000_000 ? 'image/gif' : 'image/jpeg',
    'content-length': size - start,
    etag: `"${options.seed.toString(16)}-${image.id.toString(16)}-${size.toString(16)}"`,
  };
  if (options.ranges) headers['accept-ranges'] = 'bytes';
  if (digests !== undefined) headers.digest = `md5=${digests.md5(image.id)}`;
  if (start > 0) headers['content-range'] = `bytes ${start}-${size - 1}/${size}`;
  const status = start > 0 ? 206 : 200;
  stats.countStatus(status);
  res.writeHead(status, headers);
  const pieces = imagePieces(options.seed, size, image.id, start);
  if (faulty && fault === 'truncate') {
    const keep = Math.max(1, Math.floor((size - start) / 2));
    const cut: Buffer[] = [];
    let left = keep;
    for (const piece of pieces) {
      if (left <= 0) break;
      cut.push(piece.subarray(0, left));
      left -= Math.min(left, piece.length);
    }
    res.write(Buffer.concat(cut), () => res.destroy());
    return;
  }
  if (faulty && fault === 'drip') {
    await trickle(res, pieces, Math.max(1, Math.ceil(size / 16)), options.dripInterval);
    if (!res.destroyed) res.end();
    return;
  }
  if (options.bandwidth > 0) {
    const slice = Math.max(1024, Math.min(65_536, Math.floor(options.bandwidth / 20)));
    await trickle(res, pieces, slice, (slice / options.bandwidth) * 1000);
    if (!res.destroyed) res.end();
    return;
  }
  const last = pieces.length - 1;
  for (let i = 0; i < last; i++) {
    const wait = write(res, pieces[i] as Buffer);
    if (wait !== undefined) await wait;
  }
  res.end(pieces[last]);
}
