/**
 * A task's error travels through BullMQ's `failedReason` (a string, the only error field its
 * events carry), as a marker followed by the JSON of serializeError(): class name, message,
 * code, cause and stack all come back to the caller. Reasons BullMQ writes itself (a stalled
 * job, a lost lock) are plain text and come back as a plain Error with that message.
 */
import {
  deserializeError,
  isSerializedError,
  type SerializedError,
  serializeError,
} from '../core/error-codec.js';
import { MalformedJobError, PayloadTooLargeError, RedisConnectionError } from './errors.js';

const MARK = 'taskmill-error:';

export function encodeFailure(error: unknown): string {
  return MARK + JSON.stringify(serializeError(error));
}

export function isEncodedFailure(reason: string): boolean {
  return reason.startsWith(MARK);
}

/** The serialized error in a failedReason, or a plain description of a reason BullMQ wrote. */
export function parseFailure(reason: string | undefined | null): SerializedError {
  const text = reason ?? 'the job failed without a reason';
  if (text.startsWith(MARK)) {
    try {
      const parsed: unknown = JSON.parse(text.slice(MARK.length));
      if (isSerializedError(parsed)) return parsed;
    } catch {
      // fall through: show the text as it is
    }
  }
  return { $error: 1, name: 'Error', message: text };
}

/** Errors of the distributed pieces, rebuilt as their own classes (core's are known to the codec). */
const DISTRIBUTED: Record<string, { prototype: Error }> = {
  MalformedJobError,
  PayloadTooLargeError,
  RedisConnectionError,
};

export function decodeFailure(reason: string | undefined | null): Error {
  const data = parseFailure(reason);
  const error = deserializeError(data);
  const own = DISTRIBUTED[data.className ?? data.name];
  if (own !== undefined && Object.hasOwn(DISTRIBUTED, data.className ?? data.name))
    Object.setPrototypeOf(error, own.prototype);
  return error;
}

/** One line for people (`taskmill queue --failed`): `Name [code]: message`. */
export function describeFailure(reason: string | undefined | null): string {
  const error = parseFailure(reason);
  const name = error.className ?? error.name;
  return `${name}${error.code !== undefined ? ` [${error.code}]` : ''}: ${error.message}`;
}
