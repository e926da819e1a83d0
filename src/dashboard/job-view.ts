/**
 * A job as its page shows it: task id, arguments, result or error (class, code, message, cause
 * chain, stack), attempts with their times. Payloads are decoded from the wire codec and shown
 * as text, cut at a limit (the full stored JSON can be downloaded). Nothing here is HTML: the
 * page puts every string in as text.
 */
import { inspect } from 'node:util';
import { isSerializedError, type SerializedError } from '../core/error-codec.js';
import { parseFailure } from '../distributed/failure-codec.js';
import { decodeValue } from '../distributed/wire-codec.js';
import type { JobHash } from './redis-reader.js';

/** Characters of a payload shown on the page. */
export const SHOWN_CHARS = 16_384;

export interface ShownText {
  readonly text: string;
  /** Whether `text` was cut; the whole is at the download link. */
  readonly truncated: boolean;
  /** Bytes of the stored form. */
  readonly bytes: number;
}

export interface ErrorLink {
  readonly className: string;
  readonly code?: string | number;
  readonly message: string;
  readonly stack?: string;
}

export interface JobView {
  readonly id: string;
  readonly queue: string;
  readonly state: string;
  readonly task: string;
  /**
   * The arguments; for a chunk of a map (job data with `items`, no `args`), the chunk's items
   * (each an argument list when the map spread them, as starmap does).
   */
  readonly args: ShownText;
  /** Set on a chunk of a map: how many items it carries and whether each is an argument list. */
  readonly chunk?: { readonly items: number; readonly spread: boolean };
  readonly result?: ShownText;
  /** The error, then its causes, outermost first. */
  readonly error?: readonly ErrorLink[];
  readonly attemptsMade: number;
  readonly maxAttempts: number;
  readonly createdAt?: number;
  readonly startedAt?: number;
  readonly finishedAt?: number;
  readonly delay?: number;
  readonly attempts: readonly unknown[];
  /** Stacks of earlier failed attempts, as BullMQ kept them. */
  readonly stacktrace: readonly string[];
  readonly traceparent?: string;
}

export function jobView(
  queue: string,
  id: string,
  state: string,
  hash: JobHash,
  attempts: readonly unknown[],
): JobView {
  const data = parseJson(hash.data ?? '') as JobDataShape | undefined;
  const chunk = chunkOf(data);
  const options = parseJson(hash.opts ?? '') as { attempts?: unknown } | undefined;
  const stacks = parseJson(hash.stacktrace ?? '[]');
  return {
    id,
    queue,
    state,
    task: typeof data?.task === 'string' ? data.task : (hash.name ?? ''),
    args: shown(chunk !== undefined ? data?.items : data?.args, Buffer.byteLength(hash.data ?? '')),
    ...(chunk !== undefined ? { chunk } : {}),
    ...(hash.returnvalue !== undefined && hash.failedReason === undefined
      ? { result: shown(parseJson(hash.returnvalue), Buffer.byteLength(hash.returnvalue)) }
      : {}),
    ...(hash.failedReason !== undefined ? { error: causeChain(parseFailure(hash.failedReason)) } : {}),
    attemptsMade: Math.max(Number(hash.attemptsMade) || 0, Number(hash.ats) || 0, attempts.length),
    maxAttempts: typeof options?.attempts === 'number' ? Math.max(1, options.attempts) : 1,
    ...times(hash),
    attempts,
    stacktrace: Array.isArray(stacks) ? stacks.filter((s): s is string => typeof s === 'string') : [],
    ...(typeof data?.traceparent === 'string' ? { traceparent: data.traceparent } : {}),
  };
}

/** The stored JSON of one part, whole, for download. */
export function jobPart(hash: JobHash, part: string): string | undefined {
  if (part === 'args') {
    const data = parseJson(hash.data ?? '') as JobDataShape | undefined;
    if (data === undefined) return undefined;
    return JSON.stringify((chunkOf(data) !== undefined ? data.items : data.args) ?? null, null, 2);
  }
  if (part === 'result') return hash.returnvalue;
  if (part === 'error') {
    return hash.failedReason === undefined
      ? undefined
      : JSON.stringify(parseFailure(hash.failedReason), null, 2);
  }
  return undefined;
}

/** The job data fields read here (see JobData in distributed/redis-backend.ts). */
interface JobDataShape {
  readonly task?: unknown;
  readonly args?: unknown;
  readonly items?: unknown;
  readonly spread?: unknown;
  readonly traceparent?: unknown;
}

/** A chunk of a map carries `items` instead of `args`. */
function chunkOf(data: JobDataShape | undefined): { items: number; spread: boolean } | undefined {
  if (data === undefined || data.args !== undefined || data.items === undefined) return undefined;
  let items: unknown;
  try {
    items = decodeValue(data.items);
  } catch {
    items = data.items;
  }
  return { items: Array.isArray(items) ? items.length : 0, spread: data.spread === true };
}

function times(hash: JobHash): Partial<JobView> {
  const out: Record<string, number> = {};
  const put = (key: string, field: string) => {
    const n = Number(hash[field]);
    if (hash[field] !== undefined && Number.isFinite(n) && n > 0) out[key] = n;
  };
  put('createdAt', 'timestamp');
  put('startedAt', 'processedOn');
  put('finishedAt', 'finishedOn');
  put('delay', 'delay');
  return out;
}

function causeChain(error: SerializedError): ErrorLink[] {
  const chain: ErrorLink[] = [];
  let at: unknown = error;
  while (isSerializedError(at) && chain.length < 10) {
    chain.push({
      className: at.className ?? at.name,
      ...(at.code !== undefined ? { code: at.code } : {}),
      message: at.message,
      ...(at.stack !== undefined ? { stack: at.stack } : {}),
    });
    at = at.cause;
  }
  if (at !== undefined && !isSerializedError(at) && chain.length < 10) {
    const value = (at as { $value?: unknown }).$value;
    chain.push({ className: 'cause (not an Error)', message: inspect(value, { depth: 4 }) });
  }
  return chain;
}

/** A wire-encoded value as readable text, cut at SHOWN_CHARS. */
function shown(encoded: unknown, bytes: number): ShownText {
  let value: unknown;
  try {
    value = decodeValue(encoded);
  } catch {
    value = encoded;
  }
  const text = inspect(value, {
    depth: 8,
    maxArrayLength: 200,
    maxStringLength: SHOWN_CHARS,
    breakLength: 100,
  });
  const truncated = text.length > SHOWN_CHARS || bytes > SHOWN_CHARS * 4;
  return { text: text.length > SHOWN_CHARS ? text.slice(0, SHOWN_CHARS) : text, truncated, bytes };
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
