/**
 * Downloads one file safely: bytes go to NAME.part and are renamed to NAME only when complete
 * (length matched, checksum matched when the server sent one). A .part left by an earlier run
 * is resumed with a Range request when the server answers 206, and restarted otherwise.
 * Transient failures are retried with exponential backoff and jitter, honouring Retry-After.
 */
import { createHash, type Hash } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { lstat, unlink } from 'node:fs/promises';
import type { Dispatcher } from 'undici';
import { abortableSleep } from './abortable-sleep.js';
import { classifyError } from './attempt-errors.js';
import { AttemptError } from './errors.js';
import { closeFd, openFd, readByteAt, renameFile, writeAll } from './fd-io.js';
import type { DownloaderState } from './http-state.js';
import { backoffDelay, isRetryableStatus, parseRetryAfter } from './retry-policy.js';
import { pathInside } from './safe-name.js';
import type { DownloadItem, ItemResult } from './types.js';

/** Bytes gathered in memory before one write (small files are written with a single call). */
const WRITE_BATCH = 256 * 1024;
/** Bytes received but not yet written past which reading pauses (the disk is behind). */
const MAX_PENDING = 4 * WRITE_BATCH;
const FRESH = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;
const APPEND = constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_NOFOLLOW;
const REDIRECT = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;
const CONTENT_RANGE = /^bytes (\d+)-(\d+)\/(\d+|\*)$/;
/** Longest time between two progress reports of a large file, ms. */
const PROGRESS_MS = 250;

interface AttemptOutcome {
  readonly size: number;
  readonly written: number;
  readonly resumedFrom: number | undefined;
  readonly verified: boolean;
}

/** What a large file's first progress report says about it: its full size (when known) and where this attempt starts. */
export interface FileProgress {
  readonly size: number | undefined;
  readonly from: number;
}

/** Receives the bytes of one file as they arrive; `file` comes once per attempt, before any bytes, for large files. */
export type ProgressSink = (bytes: number, file?: FileProgress) => void;

function header(headers: Dispatcher.ResponseData['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The MD5 the server vouches for, base64: `Digest: md5=…`, `Repr-Digest: md5=:…:` or (full bodies) `Content-MD5`. */
function expectedMd5(headers: Dispatcher.ResponseData['headers'], partial: boolean): string | undefined {
  const digest = header(headers, 'digest');
  if (digest !== undefined) {
    for (const part of digest.split(',')) {
      const at = part.indexOf('=');
      if (part.slice(0, at).trim().toLowerCase() === 'md5') return part.slice(at + 1).trim();
    }
  }
  const repr = header(headers, 'repr-digest');
  const match = repr === undefined ? null : /(?:^|,)\s*md5=:([A-Za-z0-9+/=]+):/i.exec(repr);
  if (match !== null) return match[1];
  return partial ? undefined : header(headers, 'content-md5');
}

async function hashExisting(path: string, hash: Hash, length: number): Promise<void> {
  if (length === 0) return;
  for await (const chunk of createReadStream(path, { start: 0, end: length - 1 }))
    hash.update(chunk as Buffer);
}

async function existingSize(path: string): Promise<number> {
  try {
    const stat = await lstat(path);
    if (stat.isFile()) return stat.size;
    // Not a regular file (a planted symlink, a folder): never write through it.
    await unlink(path);
    return 0;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}

async function discard(path: string): Promise<void> {
  await unlink(path).catch(() => {});
}

/** What the attempts of one file learnt about the server. */
interface FileState {
  /** The server answered at least once. */
  answered: boolean;
  /** The last answer offered ranges (Accept-Ranges: bytes, or a 206): a kept .part can be resumed. */
  resumable: boolean;
}

/** Headers that carry credentials: sent only to the origin they were given for. */
const CREDENTIALS = ['cookie', 'authorization', 'proxy-authorization'];

async function attempt(
  state: DownloaderState,
  url: URL,
  part: string,
  onBytes: ProgressSink | undefined,
  knownAbsent: boolean,
  file: FileState,
  signal: AbortSignal | undefined,
): Promise<AttemptOutcome> {
  const settings = state.settings;
  const offset = knownAbsent ? 0 : await existingSize(part);
  const headers: Record<string, string> = { 'user-agent': settings.userAgent, ...settings.headers };
  // A resume asks for one byte it already has: it must match (the part belongs to this file), and a
  // part that is already complete still gets a 206 (with the digest) rather than a 416.
  const overlap = offset > 0 ? await readByteAt(part, offset - 1) : undefined;
  if (offset > 0) headers.range = `bytes=${offset - 1}-`;
  let target = url;
  let response: Dispatcher.ResponseData;
  for (let redirects = 0; ; redirects++) {
    response = await state.agent.request({
      origin: target.origin,
      path: target.pathname + target.search,
      method: 'GET',
      headers,
      ...(signal !== undefined ? { signal } : {}),
    });
    const location = REDIRECT.has(response.statusCode) ? header(response.headers, 'location') : undefined;
    if (location === undefined) break;
    await response.body.dump();
    if (redirects >= MAX_REDIRECTS) {
      throw new AttemptError('ERR_REDIRECTS', `more than ${MAX_REDIRECTS} redirects`, { retryable: false });
    }
    const next = new URL(location, target);
    if (next.protocol !== 'http:' && next.protocol !== 'https:') {
      throw new AttemptError('ERR_REDIRECTS', `redirected to a ${next.protocol} URL`, { retryable: false });
    }
    if (next.origin !== url.origin) {
      for (const name of Object.keys(headers)) {
        if (CREDENTIALS.includes(name.toLowerCase())) delete headers[name];
      }
    }
    target = next;
  }
  const status = response.statusCode;
  file.answered = true;
  file.resumable = status === 206 || /\bbytes\b/i.test(header(response.headers, 'accept-ranges') ?? '');
  const body = response.body;
  let start = 0;
  let total: number | undefined;
  if (status === 206) {
    const range = CONTENT_RANGE.exec(header(response.headers, 'content-range') ?? '');
    if (range === null || offset === 0 || Number(range[1]) !== offset - 1) {
      await body.dump();
      await discard(part);
      throw new AttemptError('ERR_BAD_RANGE', `the server answered a Range request with the wrong bytes`, {
        retryable: true,
        status,
      });
    }
    start = offset;
    total = range[3] === '*' ? undefined : Number(range[3]);
  } else if (status === 416 && offset > 0) {
    await body.dump();
    await discard(part);
    throw new AttemptError('ERR_BAD_RANGE', 'the partial file is longer than the remote one; restarting', {
      retryable: true,
      status,
    });
  } else if (status < 200 || status >= 300) {
    await body.dump().catch(() => {});
    const retryAfter = parseRetryAfter(response.headers['retry-after']);
    throw new AttemptError('ERR_HTTP_STATUS', `HTTP ${status} from ${url.host}`, {
      retryable: isRetryableStatus(status),
      status,
      ...(retryAfter !== undefined ? { retryAfter } : {}),
    });
  } else {
    const length = header(response.headers, 'content-length');
    total = length === undefined ? undefined : Number(length);
  }
  // A large file is announced with its size, so progress can show its bytes (and a resume where it starts).
  // Announced files also report at least every PROGRESS_MS, so a slow one still shows its bytes moving.
  let timed = false;
  let reportedAt = 0;
  if (onBytes !== undefined && total !== undefined && total >= settings.progressEvery) {
    onBytes(0, { size: total, from: start });
    timed = true;
    reportedAt = performance.now();
  }
  const md5 = expectedMd5(response.headers, start > 0);
  const hash = md5 === undefined ? undefined : createHash('md5');
  if (hash !== undefined && start > 0) await hashExisting(part, hash, start);
  let fd: number | undefined;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let written = 0;
  let sinceReport = 0;
  const flush = async (): Promise<void> => {
    if (pendingBytes === 0) return;
    fd ??= await openFd(part, start > 0 ? APPEND : FRESH, 0o644);
    const chunks = pending;
    pending = [];
    pendingBytes = 0;
    await writeAll(fd, chunks);
  };
  /** The batch being written now (one at a time: writes to one file never overlap). */
  let writing: Promise<void> | undefined;
  let paused = false;
  try {
    try {
      // Event-based reading (cheaper per chunk than an async iterator).
      await new Promise<void>((resolve, reject) => {
        let skipOverlap = start > 0;
        body.on('data', (received: Buffer) => {
          let chunk = received;
          if (skipOverlap) {
            if (chunk.length === 0) return;
            if (chunk[0] !== overlap) {
              body.destroy();
              reject(
                new AttemptError(
                  'ERR_RESUME_MISMATCH',
                  'the partial file does not match the remote file; restarting',
                  {
                    retryable: true,
                    status,
                  },
                ),
              );
              return;
            }
            skipOverlap = false;
            chunk = chunk.subarray(1);
            if (chunk.length === 0) return;
          }
          hash?.update(chunk);
          pending.push(chunk);
          pendingBytes += chunk.length;
          written += chunk.length;
          if (onBytes !== undefined) {
            sinceReport += chunk.length;
            if (
              sinceReport >= settings.progressEvery ||
              (timed && performance.now() - reportedAt >= PROGRESS_MS)
            ) {
              onBytes(sinceReport);
              sinceReport = 0;
              // A file of unknown size is large once it has passed one report's worth of bytes.
              timed = true;
              reportedAt = performance.now();
            }
          }
          // One batch is written while the next arrives (the network and the disk overlap);
          // reading pauses only when the disk falls a few batches behind.
          if (pendingBytes >= WRITE_BATCH && writing === undefined) {
            writing = flush().then(
              () => {
                writing = undefined;
                if (paused) {
                  paused = false;
                  body.resume();
                }
              },
              (error: unknown) => {
                body.destroy();
                reject(error);
              },
            );
          } else if (writing !== undefined && pendingBytes >= MAX_PENDING && !paused) {
            paused = true;
            body.pause();
          }
        });
        body.once('end', () => {
          if (writing === undefined) resolve();
          else writing.then(resolve, reject);
        });
        body.once('error', reject);
      });
    } catch (error) {
      // A batch still being written lands before anything else is done with the file.
      await writing?.catch(() => {});
      if ((error as { code?: unknown }).code === 'ERR_RESUME_MISMATCH') {
        if (fd !== undefined) await closeFd(fd).catch(() => {});
        fd = undefined;
        await discard(part);
        throw error;
      }
      // Keep what arrived so the next attempt can resume from it.
      await flush().catch(() => {});
      throw error;
    }
    if (start === 0 && written === 0) fd ??= await openFd(part, FRESH, 0o644);
    await flush();
  } finally {
    if (fd !== undefined) await closeFd(fd);
  }
  if (onBytes !== undefined && sinceReport > 0) onBytes(sinceReport);
  const size = start + written;
  if (total !== undefined && size < total) {
    throw new AttemptError('ERR_TRUNCATED', `body ended after ${size} of ${total} bytes`, {
      retryable: true,
      status,
    });
  }
  if (total !== undefined && size > total) {
    await discard(part);
    throw new AttemptError('ERR_TOO_LONG', `body was ${size} bytes, more than the announced ${total}`, {
      retryable: true,
      status,
    });
  }
  if (hash !== undefined && hash.digest('base64') !== md5) {
    await discard(part);
    throw new AttemptError(
      'ERR_CHECKSUM',
      `MD5 of the ${size} bytes received does not match the server's digest`,
      {
        retryable: true,
        status,
      },
    );
  }
  return { size, written, resumedFrom: start > 0 ? start : undefined, verified: hash !== undefined };
}

/** Downloads `item` into the state's output folder; never throws for the item's own failures. */
export async function fetchFile(
  state: DownloaderState,
  item: DownloadItem,
  signal?: AbortSignal,
  onBytes?: ProgressSink,
): Promise<ItemResult> {
  const began = performance.now();
  const settings = state.settings;
  const base = { index: item.index, url: item.url, name: item.name };
  const ms = () => Math.round(performance.now() - began);
  let attempts = 0;
  let written = 0;
  let resumedFrom: number | undefined;
  let last: AttemptError | undefined;
  let final: string;
  let url: URL;
  try {
    url = new URL(item.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new AttemptError(
        'ERR_INVALID_URL',
        `only http and https URLs can be downloaded, not ${url.protocol}`,
        {
          retryable: false,
        },
      );
    }
    final = pathInside(settings.outDir, item.name);
    const present =
      item.found !== undefined
        ? undefined
        : await lstat(final).catch((error: NodeJS.ErrnoException) => {
            if (error.code === 'ENOENT') return undefined;
            throw error;
          });
    if (present !== undefined) {
      return { ...base, outcome: 'skipped', bytes: 0, size: present.size, attempts: 0, ms: ms() };
    }
  } catch (error) {
    const failure =
      error instanceof TypeError && (error as { code?: string }).code === 'ERR_INVALID_URL'
        ? new AttemptError('ERR_INVALID_URL', `not a valid URL: ${item.url.slice(0, 200)}`, {
            retryable: false,
          })
        : classifyError(error);
    return {
      ...base,
      outcome: 'failed',
      bytes: 0,
      attempts,
      reason: failure.message,
      code: failure.code,
      ms: ms(),
    };
  }
  const part = `${final}.part`;
  const file: FileState = { answered: false, resumable: false };
  for (let retry = 0; retry <= settings.retries; retry++) {
    if (retry > 0 && last !== undefined) {
      const wait = Math.min(
        settings.maxBackoff,
        Math.max(backoffDelay(retry, settings.backoff, settings.maxBackoff), last.retryAfter ?? 0),
      );
      try {
        await abortableSleep(wait, signal);
      } catch (error) {
        last = classifyError(error);
        break;
      }
    }
    try {
      await state.bucket.take(signal);
      attempts++;
      const outcome = await attempt(
        state,
        url,
        part,
        onBytes,
        item.found === 'absent' && attempts === 1,
        file,
        signal,
      );
      written += outcome.written;
      resumedFrom ??= outcome.resumedFrom;
      await renameFile(part, pathInside(settings.outDir, item.name));
      return {
        ...base,
        outcome: 'downloaded',
        bytes: written,
        size: outcome.size,
        attempts,
        ...(resumedFrom !== undefined ? { resumedFrom } : {}),
        verified: outcome.verified,
        ms: ms(),
      };
    } catch (error) {
      last = classifyError(error);
      if (!last.retryable) break;
    }
  }
  const failure = last ?? new AttemptError('ERR_UNKNOWN', 'failed', { retryable: false });
  // A .part is kept only when a rerun can resume it; it is then named in the result.
  const keep = (failure.retryable || failure.code === 'ERR_ABORTED') && (file.resumable || !file.answered);
  const kept = keep ? await existingSize(part) : 0;
  if (kept === 0) await discard(part);
  return {
    ...base,
    outcome: 'failed',
    bytes: written,
    attempts,
    reason: `${failure.message}${attempts > 1 ? ` (after ${attempts} attempts)` : ''}`,
    code: failure.code,
    ...(failure.status !== undefined ? { status: failure.status } : {}),
    ...(kept > 0 ? { partFile: `${item.name}.part`, partBytes: kept } : {}),
    ms: ms(),
  };
}
