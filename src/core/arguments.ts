/**
 * Values that cross to a worker (arguments) or back (results) are checked before they leave: a
 * function, a symbol, a Proxy or an instance of a user class would be dropped or lose its
 * prototype on the way, so it is refused with an error naming the value, rather than arriving
 * mangled. The same walk notes where Buffers sit, so that the other side of a worker thread
 * (whose structured clone turns a Buffer into a plain Uint8Array) can give them back as Buffers,
 * as child processes and the caller's own thread do.
 */
import { types } from 'node:util';
import { UncloneableArgumentError, UncloneableResultError } from './errors.js';

const MAX_DEPTH = 64;

/** Prototypes that survive the structured clone algorithm intact. */
const CLONEABLE_PROTOTYPES = new Set<unknown>([
  Object.prototype,
  Array.prototype,
  null,
  Date.prototype,
  RegExp.prototype,
  Map.prototype,
  Set.prototype,
  ArrayBuffer.prototype,
  SharedArrayBuffer.prototype,
  DataView.prototype,
  Error.prototype,
  TypeError.prototype,
  RangeError.prototype,
  SyntaxError.prototype,
  ReferenceError.prototype,
  EvalError.prototype,
  URIError.prototype,
  Boolean.prototype,
  Number.prototype,
  String.prototype,
  BigInt.prototype,
]);

/** Where a Buffer sits: item index, then argument index (or nothing for a result), then keys. */
export type BufferPath = (string | number)[];

/** Why a value cannot cross, and where it is. */
export interface Uncloneable {
  readonly path: string;
  readonly reason: string;
}

/**
 * Throws UncloneableArgumentError for the first value among `args` that cannot be sent intact.
 * With `buffers`, the paths of Buffers among them are appended to it: `[...prefix, argument
 * index, ...keys]`. Returns the bytes of the binary data (typed arrays, DataViews,
 * ArrayBuffers) among them: what a copy to a worker has to carry beyond the small values.
 */
export function assertCloneable(
  args: readonly unknown[],
  label = 'args',
  buffers?: BufferPath[],
  prefix: readonly (string | number)[] = [],
): number {
  let bytes = 0;
  for (let i = 0; i < args.length; i++) {
    const value = args[i];
    // Fast path: primitives are the common case for tiny tasks.
    if (isPrimitive(value)) continue;
    bytes += assertCloneableValue(value, `${label}[${i}]`, buffers, [...prefix, i]);
  }
  return bytes;
}

/** The same for one value; Buffer paths start with `prefix`. Returns its binary bytes. */
export function assertCloneableValue(
  value: unknown,
  label: string,
  buffers?: BufferPath[],
  prefix: readonly (string | number)[] = [],
): number {
  if (isPrimitive(value)) return 0;
  const walk = new Walk(buffers, prefix);
  const found = walk.check(value, label, 0);
  if (found !== undefined) throw new UncloneableArgumentError(found.path, found.reason);
  return walk.bytes;
}

/**
 * Why a task's result cannot be sent back intact, or undefined when it can. With `buffers`, the
 * paths of Buffers in it are appended there (prefixed by `prefix`).
 */
export function findUncloneableResult(
  value: unknown,
  buffers?: BufferPath[],
  prefix: readonly (string | number)[] = [],
): UncloneableResultError | undefined {
  if (isPrimitive(value)) return undefined;
  const found = new Walk(buffers, prefix).check(value, 'result', 0);
  return found === undefined ? undefined : new UncloneableResultError(found.path, found.reason);
}

/** Turns the Uint8Arrays at `paths` (inside `root`) back into Buffers over the same memory. */
export function restoreBuffers(root: unknown, paths: readonly BufferPath[]): void {
  for (const path of paths) {
    let parent: unknown = root;
    for (let i = 0; i < path.length - 1 && parent !== undefined && parent !== null; i++) {
      parent = (parent as Record<string | number, unknown>)[path[i] as string | number];
    }
    const last = path[path.length - 1] as string | number;
    if (parent === undefined || parent === null || typeof parent !== 'object') continue;
    const bytes = (parent as Record<string | number, unknown>)[last];
    if (bytes instanceof Uint8Array && !Buffer.isBuffer(bytes)) {
      (parent as Record<string | number, unknown>)[last] = Buffer.from(
        bytes.buffer,
        bytes.byteOffset,
        bytes.byteLength,
      );
    }
  }
}

function isPrimitive(value: unknown): boolean {
  return (
    value === null || (typeof value !== 'object' && typeof value !== 'function' && typeof value !== 'symbol')
  );
}

class Walk {
  readonly seen = new Set<object>();
  /** Keys from the root to the value being checked (only kept when Buffers are noted). */
  readonly keys: (string | number)[];
  readonly #buffers: BufferPath[] | undefined;
  /** Inside a Map or Set, where a path of keys cannot reach: Buffers there are not noted. */
  #inCollection = 0;
  /** Bytes of the binary data seen (typed arrays, DataViews, ArrayBuffers). */
  bytes = 0;

  constructor(buffers: BufferPath[] | undefined, prefix: readonly (string | number)[]) {
    this.#buffers = buffers;
    this.keys = [...prefix];
  }

  check(value: unknown, path: string, depth: number): Uncloneable | undefined {
    switch (typeof value) {
      case 'function':
        return {
          path,
          reason:
            'it is a function; functions cannot cross to a worker. Export it from a task module and pass data instead',
        };
      case 'symbol':
        return { path, reason: 'it is a symbol; pass a string instead' };
      case 'object':
        break;
      default:
        return undefined;
    }
    if (value === null || this.seen.has(value)) return undefined;
    if (depth > MAX_DEPTH) return { path, reason: `it is nested more than ${MAX_DEPTH} levels deep` };
    if (types.isProxy(value)) {
      return { path, reason: 'it is a Proxy, which cannot be copied; pass the plain object it wraps' };
    }
    this.seen.add(value);
    if (ArrayBuffer.isView(value)) {
      this.bytes += value.byteLength;
      if (this.#buffers !== undefined && this.#inCollection === 0 && Buffer.isBuffer(value)) {
        this.#buffers.push([...this.keys]);
      }
      return undefined;
    }
    if (value instanceof ArrayBuffer) this.bytes += value.byteLength;
    const proto = Object.getPrototypeOf(value) as unknown;
    if (!CLONEABLE_PROTOTYPES.has(proto)) {
      const name = (value as { constructor?: { name?: string } }).constructor?.name ?? 'an unknown class';
      return {
        path,
        reason: `it is an instance of ${name}, which would arrive as a plain object without its methods; send plain data (e.g. an object of its fields) and rebuild it on the other side`,
      };
    }
    if (value instanceof Map || value instanceof Set) {
      this.#inCollection++;
      try {
        return this.#checkCollection(value, path, depth);
      } finally {
        this.#inCollection--;
      }
    }
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        if (isPrimitive(item)) continue;
        this.keys.push(i);
        const found = this.check(item, `${path}[${i}]`, depth + 1);
        this.keys.pop();
        if (found !== undefined) return found;
      }
      return undefined;
    }
    for (const key of Object.keys(value)) {
      const item = (value as Record<string, unknown>)[key];
      if (isPrimitive(item)) continue;
      this.keys.push(key);
      const found = this.check(item, `${path}.${key}`, depth + 1);
      this.keys.pop();
      if (found !== undefined) return found;
    }
    if (Object.getOwnPropertySymbols(value).length > 0 && proto === Object.prototype) {
      return { path, reason: 'it has symbol-keyed properties, which are dropped on the way' };
    }
    return undefined;
  }

  #checkCollection(
    value: Map<unknown, unknown> | Set<unknown>,
    path: string,
    depth: number,
  ): Uncloneable | undefined {
    let k = 0;
    if (value instanceof Map) {
      for (const [key, item] of value) {
        const found =
          this.check(key, `${path}.keys[${k}]`, depth + 1) ??
          this.check(item, `${path}.get(${k})`, depth + 1);
        if (found !== undefined) return found;
        k++;
      }
      return undefined;
    }
    for (const item of value) {
      const found = this.check(item, `${path}.values[${k++}]`, depth + 1);
      if (found !== undefined) return found;
    }
    return undefined;
  }
}
