/**
 * How arguments and results travel through Redis: as data, never as code. Values become a
 * JSON-safe tree; what JSON cannot say is tagged (`{ $tm: kind, v }`): binary (Buffer,
 * Uint8Array and the other typed arrays, ArrayBuffer) as base64, undefined, BigInt, Date, Map,
 * Set, NaN/Infinity/-0, and plain objects that happen to own a `$tm` key. Functions, symbols,
 * class instances other than those above, and cycles are refused with a clear error.
 * Decoding builds only plain data: nothing is evaluated, no constructor is looked up by name.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { typedArrayClass } from '../core/typed-arrays.js';
import { PayloadTooLargeError } from './errors.js';

const TAG = '$tm';
const MAX_DEPTH = 100;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Encodes `value` into a JSON-safe tree; `path` names the value in error messages. */
export function encodeValue(value: unknown, path = 'value'): Json {
  return encode(value, path, 0, new Set());
}

function encode(value: unknown, path: string, depth: number, seen: Set<object>): Json {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      // JSON has no -0 (it writes 0): tagged, like NaN and the infinities.
      if (Number.isFinite(value) && !Object.is(value, -0)) return value;
      return { [TAG]: 'num', v: Object.is(value, -0) ? '-0' : String(value) };
    case 'undefined':
      return { [TAG]: 'undef' };
    case 'bigint':
      return { [TAG]: 'bigint', v: value.toString() };
    case 'function':
    case 'symbol':
      throw new InvalidArgumentError(
        `${path} is a ${typeof value}: only data can go through Redis (JSON values, binary, Date, Map, Set, BigInt)`,
      );
  }
  if (value === null) return null;
  const object = value as object;
  if (depth > MAX_DEPTH)
    throw new InvalidArgumentError(`${path} is nested more than ${MAX_DEPTH} levels deep`);
  if (seen.has(object)) throw new InvalidArgumentError(`${path} refers to itself (a cycle): send plain data`);
  seen.add(object);
  try {
    if (Array.isArray(object)) return object.map((item, i) => encode(item, `${path}[${i}]`, depth + 1, seen));
    if (Buffer.isBuffer(object)) return { [TAG]: 'buf', v: object.toString('base64') };
    if (ArrayBuffer.isView(object)) {
      const name = object.constructor.name;
      if (typedArrayClass(name) === undefined) {
        throw new InvalidArgumentError(`${path} is a ${name}: send a Uint8Array or Buffer instead`);
      }
      const bytes = Buffer.from(object.buffer, object.byteOffset, object.byteLength);
      return { [TAG]: 'typed', t: name, v: bytes.toString('base64') };
    }
    if (object instanceof ArrayBuffer) return { [TAG]: 'ab', v: Buffer.from(object).toString('base64') };
    if (object instanceof Date) return { [TAG]: 'date', v: object.getTime() };
    if (object instanceof Map) {
      const entries: Json[] = [];
      let i = 0;
      for (const [k, v] of object) {
        entries.push([
          encode(k, `${path}.key(${i})`, depth + 1, seen),
          encode(v, `${path}.get(${i})`, depth + 1, seen),
        ]);
        i++;
      }
      return { [TAG]: 'map', v: entries };
    }
    if (object instanceof Set) {
      return {
        [TAG]: 'set',
        v: [...object].map((item, i) => encode(item, `${path}.item(${i})`, depth + 1, seen)),
      };
    }
    const proto = Object.getPrototypeOf(object) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      const name = (object as { constructor?: { name?: string } }).constructor?.name ?? 'object';
      throw new InvalidArgumentError(
        `${path} is a ${name} instance: only plain objects, arrays and binary go through Redis; convert it to plain data`,
      );
    }
    const out: { [key: string]: Json } = {};
    for (const key of Object.keys(object)) {
      // defineProperty, not assignment: a "__proto__" key must stay a key.
      Object.defineProperty(out, key, {
        value: encode((object as Record<string, unknown>)[key], `${path}.${key}`, depth + 1, seen),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return Object.hasOwn(out, TAG) ? { [TAG]: 'obj', v: out } : out;
  } finally {
    seen.delete(object);
  }
}

/** Rebuilds a value from its encoded tree. Unknown tags are refused (a newer or hostile sender). */
export function decodeValue(tree: unknown): unknown {
  return decode(tree, 0);
}

function decode(tree: unknown, depth: number): unknown {
  if (tree === null || typeof tree !== 'object') return tree;
  if (depth > MAX_DEPTH + 2) throw new InvalidArgumentError('payload is nested too deeply');
  if (Array.isArray(tree)) return tree.map((item) => decode(item, depth + 1));
  const node = tree as Record<string, unknown>;
  if (!Object.hasOwn(node, TAG)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(node)) {
      // Own data properties only: a "__proto__" key stays a plain key, never a prototype.
      Object.defineProperty(out, key, {
        value: decode(node[key], depth + 1),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  const v = node.v;
  switch (node[TAG]) {
    case 'undef':
      return undefined;
    case 'num':
      return Number(v);
    case 'bigint':
      return BigInt(String(v));
    case 'buf':
      return Buffer.from(String(v), 'base64');
    case 'ab': {
      const bytes = Buffer.from(String(v), 'base64');
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    }
    case 'typed': {
      const name = String(node.t);
      const View = typedArrayClass(name);
      if (View === undefined) throw new InvalidArgumentError(`unknown typed array ${name} in payload`);
      const bytes = Buffer.from(String(v), 'base64');
      const copy = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
      return new View(copy);
    }
    case 'date':
      return new Date(Number(v));
    case 'map':
      return new Map(
        (v as [unknown, unknown][]).map(([k, val]) => [decode(k, depth + 1), decode(val, depth + 1)]),
      );
    case 'set':
      return new Set((v as unknown[]).map((item) => decode(item, depth + 1)));
    case 'obj': {
      // An object that owns a `$tm` key: its keys are plain keys, whatever they are named.
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(v as object)) {
        Object.defineProperty(out, key, {
          value: decode((v as Record<string, unknown>)[key], depth + 1),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
    default:
      throw new InvalidArgumentError(
        `unknown tag ${JSON.stringify(node[TAG])} in payload: is the sender a newer taskmill?`,
      );
  }
}

/**
 * Throws PayloadTooLargeError when the JSON text of `tree` exceeds `limit` bytes. A cheap upper
 * bound is tried first, so small payloads (most jobs) are never stringified just to be measured.
 */
export function checkPayloadSize(tree: Json, limit: number, what: string): void {
  if (upperBound(tree, limit, 0) <= limit) return;
  const size = Buffer.byteLength(JSON.stringify(tree));
  if (size > limit) throw new PayloadTooLargeError(what, size, limit);
}

/** At least the JSON size in bytes (a UTF-16 unit is at most 6 bytes escaped); stops past `limit`. */
function upperBound(tree: Json, limit: number, depth: number): number {
  if (tree === null || typeof tree !== 'object') {
    return typeof tree === 'string' ? tree.length * 6 + 2 : 24;
  }
  if (depth > MAX_DEPTH + 4) return Number.POSITIVE_INFINITY;
  let total = 2;
  if (Array.isArray(tree)) {
    for (const item of tree) {
      total += upperBound(item, limit, depth + 1) + 1;
      if (total > limit) return total;
    }
    return total;
  }
  for (const key of Object.keys(tree)) {
    total += key.length * 6 + 3 + upperBound(tree[key] as Json, limit, depth + 1) + 1;
    if (total > limit) return total;
  }
  return total;
}

export type { Json };
