/**
 * Big binary arguments copied to a worker thread by the pool itself. A structured clone of a
 * 1 MiB buffer serializes it on the caller's thread and deserializes it, a second copy, on the
 * worker's. Instead the pool copies the bytes once (memcpy into memory it does not zero) into a
 * new buffer and moves that buffer to the worker: one copy, and the worker thread does none.
 * The task gets what a clone would give it: its own buffer, the same view type, offset and
 * length, and views on one buffer sharing one copy. The caller's buffers are untouched.
 */
import { typedArrayClass } from '../../core/typed-arrays.js';

/** Binary values smaller than this are left to the structured clone. */
export const OWN_COPY_MIN_BYTES = 16 * 1024;

type ViewType = new (buffer: ArrayBuffer, byteOffset: number, length: number) => unknown;

/**
 * An argument as the worker should get it: a big ArrayBuffer, or a view on one, copied into a
 * new buffer (recorded in `copies`, original to copy: the copies are to be moved) with the view
 * rebuilt over it; anything else (small, shared, resizable, not binary) as it is. Buffers come
 * out as Uint8Arrays, made Buffers again on the other side as after a clone.
 */
export function ownCopy(value: unknown, copies: Map<ArrayBuffer, ArrayBuffer>): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof ArrayBuffer) return copyable(value) ? copyOf(value, copies) : value;
  if (!ArrayBuffer.isView(value)) return value;
  const buffer = value.buffer;
  if (!(buffer instanceof ArrayBuffer) || !copyable(buffer)) return value;
  if (value instanceof DataView)
    return new DataView(copyOf(buffer, copies), value.byteOffset, value.byteLength);
  const View = typedArrayClass((value as unknown as { [Symbol.toStringTag]: string })[Symbol.toStringTag]) as
    | ViewType
    | undefined;
  if (View === undefined) return value;
  return new View(copyOf(buffer, copies), value.byteOffset, (value as unknown as { length: number }).length);
}

function copyable(buffer: ArrayBuffer): boolean {
  return buffer.byteLength >= OWN_COPY_MIN_BYTES && (buffer as { resizable?: boolean }).resizable !== true;
}

function copyOf(buffer: ArrayBuffer, copies: Map<ArrayBuffer, ArrayBuffer>): ArrayBuffer {
  let copy = copies.get(buffer);
  if (copy === undefined) {
    // Not zeroed first (it is overwritten whole at once): `new ArrayBuffer` and `slice` zero it.
    copy = Buffer.allocUnsafeSlow(buffer.byteLength).buffer as ArrayBuffer;
    new Uint8Array(copy).set(new Uint8Array(buffer));
    copies.set(buffer, copy);
  }
  return copy;
}
