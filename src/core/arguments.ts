/**
 * Arguments sent to a worker are checked before they leave: a function, a symbol or an instance
 * of a user class would be dropped or lose its prototype on the way, so it is refused at submit
 * time with an error naming the argument, rather than arriving mangled.
 */
import { UncloneableArgumentError } from './errors.js';

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

/** Throws UncloneableArgumentError for the first value among `args` that cannot be sent intact. */
export function assertCloneable(args: readonly unknown[], label = 'args'): void {
  for (let i = 0; i < args.length; i++) {
    const value = args[i];
    // Fast path: primitives are the common case for tiny tasks.
    if (
      value === null ||
      (typeof value !== 'object' && typeof value !== 'function' && typeof value !== 'symbol')
    ) {
      continue;
    }
    check(value, `${label}[${i}]`, 0, new Set());
  }
}

function check(value: unknown, path: string, depth: number, seen: Set<object>): void {
  switch (typeof value) {
    case 'function':
      throw new UncloneableArgumentError(
        path,
        'it is a function; functions cannot cross to a worker. Export it from a task module and pass data instead',
      );
    case 'symbol':
      throw new UncloneableArgumentError(path, 'it is a symbol; pass a string instead');
    case 'object':
      break;
    default:
      return;
  }
  if (value === null || seen.has(value)) return;
  if (depth > MAX_DEPTH) {
    throw new UncloneableArgumentError(path, `it is nested more than ${MAX_DEPTH} levels deep`);
  }
  seen.add(value);
  if (ArrayBuffer.isView(value)) return;
  const proto = Object.getPrototypeOf(value) as unknown;
  if (!CLONEABLE_PROTOTYPES.has(proto)) {
    const name = (value as { constructor?: { name?: string } }).constructor?.name ?? 'an unknown class';
    throw new UncloneableArgumentError(
      path,
      `it is an instance of ${name}, which would arrive as a plain object without its methods; send plain data (e.g. an object of its fields) and rebuild it in the task`,
    );
  }
  if (value instanceof Map) {
    let k = 0;
    for (const [key, item] of value) {
      check(key, `${path}.keys[${k}]`, depth + 1, seen);
      check(item, `${path}.get(${k})`, depth + 1, seen);
      k++;
    }
    return;
  }
  if (value instanceof Set) {
    let k = 0;
    for (const item of value) check(item, `${path}.values[${k++}]`, depth + 1, seen);
    return;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (
        item !== null &&
        (typeof item === 'object' || typeof item === 'function' || typeof item === 'symbol')
      ) {
        check(item, `${path}[${i}]`, depth + 1, seen);
      }
    }
    return;
  }
  for (const key of Object.keys(value)) {
    check((value as Record<string, unknown>)[key], `${path}.${key}`, depth + 1, seen);
  }
  if (Object.getOwnPropertySymbols(value).length > 0 && proto === Object.prototype) {
    throw new UncloneableArgumentError(path, 'it has symbol-keyed properties, which are dropped on the way');
  }
}
