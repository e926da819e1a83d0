/**
 * `move(value)` marks a value whose ArrayBuffers are moved, not copied, to the other side
 * (worker threads transfer them; other backends copy, since memory cannot be moved there).
 * After a move the sender's buffer is detached: it has length 0.
 */
const MOVED = Symbol.for('taskmill.moved');

export interface Moved<T> {
  readonly [MOVED]: true;
  readonly value: T;
  readonly transferList: readonly ArrayBuffer[];
}

export function move<T extends ArrayBufferView | ArrayBuffer | object>(value: T): T {
  const transferList = collectBuffers(value);
  return { [MOVED]: true, value, transferList } as unknown as T;
}

export function isMoved(value: unknown): value is Moved<unknown> {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[MOVED] === true;
}

/**
 * Replaces every moved value among `args` by its content and returns the buffers to transfer
 * (`undefined` when nothing was moved, the common case, so it costs one scan).
 */
export function unwrapMoved(args: unknown[]): ArrayBuffer[] | undefined {
  let list: ArrayBuffer[] | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (isMoved(arg)) {
      args[i] = arg.value;
      list ??= [];
      for (const buffer of arg.transferList) if (!list.includes(buffer)) list.push(buffer);
    }
  }
  return list;
}

function collectBuffers(value: unknown, out: ArrayBuffer[] = [], depth = 0): ArrayBuffer[] {
  if (depth > 4 || value === null || typeof value !== 'object') return out;
  if (value instanceof ArrayBuffer) {
    if (!out.includes(value)) out.push(value);
  } else if (ArrayBuffer.isView(value)) {
    if (value.buffer instanceof ArrayBuffer && !out.includes(value.buffer)) out.push(value.buffer);
  } else if (Array.isArray(value)) {
    for (const item of value) collectBuffers(item, out, depth + 1);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const item of Object.values(value)) collectBuffers(item, out, depth + 1);
  }
  return out;
}
