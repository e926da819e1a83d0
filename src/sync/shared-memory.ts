/** Handles: the plain, cloneable part of a shared-memory primitive, sent to a worker as a task argument. */
import { InvalidArgumentError } from '../core/errors.js';

export interface SharedSlotHandle<K extends string> {
  readonly kind: K;
  /** The shared memory; the same bytes are seen by every thread that holds the handle. */
  readonly buffer: SharedArrayBuffer;
  /** Index of the Int32 slot within `buffer`. */
  readonly index: number;
}

/** A fresh handle on its own 4-byte shared buffer. */
export function newSlot<K extends string>(kind: K): SharedSlotHandle<K> {
  return Object.freeze({ kind, buffer: new SharedArrayBuffer(4), index: 0 });
}

/** Checks that `handle` is a well-formed handle of `kind` and returns its Int32 view. */
export function openSlot<K extends string>(handle: unknown, kind: K, className: string): Int32Array {
  const h = handle as Partial<SharedSlotHandle<K>> | null;
  if (typeof h !== 'object' || h === null || h.kind !== kind || !(h.buffer instanceof SharedArrayBuffer)) {
    throw new InvalidArgumentError(
      `${className}.from() needs the handle of a ${className} (pass \`x.handle\` as the task argument, not the ${className} itself)`,
    );
  }
  const index = h.index ?? 0;
  if (!(Number.isInteger(index) && index >= 0 && (index + 1) * 4 <= h.buffer.byteLength)) {
    throw new InvalidArgumentError(`${className} handle index ${String(index)} is outside its buffer`);
  }
  return new Int32Array(h.buffer);
}
