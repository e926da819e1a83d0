/**
 * Errors cross thread, process and machine boundaries as plain data and are rebuilt on the
 * other side with the same class name, message, code, cause, stack and own data properties.
 * The encoding is JSON-safe, so the Redis backend can use it as is.
 */
import * as errorClasses from './errors.js';

export interface SerializedError {
  readonly $error: 1;
  readonly name: string;
  /** The constructor's name, when it differs from `name` (a subclass that does not set `name`). */
  readonly className?: string;
  readonly message: string;
  readonly stack?: string;
  readonly code?: string | number;
  readonly cause?: SerializedValue;
  readonly errors?: SerializedError[];
  readonly props?: Record<string, unknown>;
}

type SerializedValue = SerializedError | { readonly $value: unknown };

const BUILTIN: Record<string, ErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

const TASKMILL: Record<string, unknown> = { ...errorClasses };
const MAX_DEPTH = 8;
const namedClasses = new Map<string, ErrorConstructor>();

export function isSerializedError(value: unknown): value is SerializedError {
  return typeof value === 'object' && value !== null && (value as { $error?: unknown }).$error === 1;
}

export function serializeError(error: unknown, depth = 0): SerializedError {
  if (!(error instanceof Error)) {
    // `throw 'text'` or `throw { ... }`: keep the value, say what it was.
    return {
      $error: 1,
      name: 'NonErrorThrown',
      message: `a task threw a non-Error value: ${safeString(error)}`,
      props: { value: jsonSafe(error) },
    };
  }
  const out: {
    -readonly [K in keyof SerializedError]: SerializedError[K];
  } = { $error: 1, name: error.name, message: error.message };
  const className = error.constructor?.name;
  if (typeof className === 'string' && className !== '' && className !== error.name)
    out.className = className;
  if (typeof error.stack === 'string') out.stack = error.stack;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') out.code = code;
  if ('cause' in error && error.cause !== undefined && depth < MAX_DEPTH) {
    out.cause =
      error.cause instanceof Error
        ? serializeError(error.cause, depth + 1)
        : { $value: jsonSafe(error.cause) };
  }
  if (error instanceof AggregateError && depth < MAX_DEPTH) {
    out.errors = error.errors.map((e) => serializeError(e, depth + 1));
  }
  const props: Record<string, unknown> = {};
  let any = false;
  for (const key of Object.keys(error)) {
    if (key === 'code' || key === 'cause' || key === 'name' || key === 'message' || key === 'stack') continue;
    if (key === 'errors' && error instanceof AggregateError) continue;
    props[key] = jsonSafe((error as unknown as Record<string, unknown>)[key]);
    any = true;
  }
  if (any) out.props = props;
  return out;
}

export function deserializeError(data: SerializedError): Error {
  const error = instantiate(data.className ?? data.name);
  if (error.name !== data.name) {
    Object.defineProperty(error, 'name', { value: data.name, writable: true, configurable: true });
  }
  Object.defineProperty(error, 'message', { value: data.message, writable: true, configurable: true });
  if (data.stack !== undefined) {
    Object.defineProperty(error, 'stack', { value: data.stack, writable: true, configurable: true });
  }
  if (data.code !== undefined) {
    Object.defineProperty(error, 'code', {
      value: data.code,
      writable: true,
      configurable: true,
      enumerable: true,
    });
  }
  if (data.cause !== undefined) {
    const cause = isSerializedError(data.cause) ? deserializeError(data.cause) : data.cause.$value;
    Object.defineProperty(error, 'cause', { value: cause, writable: true, configurable: true });
  }
  if (data.errors !== undefined) {
    Object.defineProperty(error, 'errors', {
      value: data.errors.map(deserializeError),
      writable: true,
      configurable: true,
    });
  }
  if (data.props !== undefined) {
    for (const [key, value] of Object.entries(data.props)) {
      Object.defineProperty(error, key, { value, writable: true, configurable: true, enumerable: true });
    }
  }
  return error;
}

function instantiate(name: string): Error {
  if (name === 'AggregateError') return Object.create(AggregateError.prototype) as Error;
  const builtin = BUILTIN[name];
  if (builtin !== undefined) return Object.create(builtin.prototype) as Error;
  const own = TASKMILL[name];
  if (typeof own === 'function' && own.prototype instanceof Error)
    return Object.create(own.prototype) as Error;
  // A class of the task's own: rebuild an Error subclass that carries the same name.
  let cls = namedClasses.get(name);
  if (cls === undefined) {
    const made = class extends Error {};
    Object.defineProperty(made, 'name', { value: name });
    Object.defineProperty(made.prototype, 'name', { value: name, writable: true, configurable: true });
    cls = made as unknown as ErrorConstructor;
    if (namedClasses.size < 1000) namedClasses.set(name, cls);
  }
  return Object.create(cls.prototype) as Error;
}

function safeString(value: unknown): string {
  try {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    return text === undefined ? String(value) : text.length > 200 ? `${text.slice(0, 200)}…` : text;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** A JSON-safe copy of a value attached to an error (data only; functions and cycles are dropped). */
function jsonSafe(value: unknown): unknown {
  try {
    return JSON.parse(
      JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? 'null',
    );
  } catch {
    return safeString(value);
  }
}
