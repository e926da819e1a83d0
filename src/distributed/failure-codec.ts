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

export function decodeFailure(reason: string | undefined | null): Error {
  return deserializeError(parseFailure(reason));
}

/** One line for people (`taskmill queue --failed`): `Name [code]: message`. */
export function describeFailure(reason: string | undefined | null): string {
  const error = parseFailure(reason);
  const name = error.className ?? error.name;
  return `${name}${error.code !== undefined ? ` [${error.code}]` : ''}: ${error.message}`;
}
