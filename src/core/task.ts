/**
 * A task is a reference to an exported function: the module it lives in and the export's name,
 * the way Python's multiprocessing and RQ ship a function by module and name. No source code
 * is ever stringified or shipped; a worker imports the module itself.
 *
 * `module` is the absolute file URL: a local detail used by threads and processes.
 * `id` (`<moduleId>#<export>`) is stable across machines: a remote worker resolves it against
 * its own allow-list of task modules.
 */
import { basename, extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Flow, makeFlow } from '../workflows/spec.js';
import { InvalidArgumentError } from './errors.js';
import { assertKnownKeys } from './option-keys.js';

// biome-ignore lint/suspicious/noExplicitAny: task functions take any arguments; their types flow through generics
export type AnyFunction = (...args: any[]) => unknown;

/** Options that travel with one call (see `TaskRef.with`). */
export interface CallOptions {
  /** Milliseconds the task may run before it fails with TaskTimeoutError. */
  readonly timeout?: number;
  /** Cancels the call: queued, it is dropped; running, its task sees `currentTask().signal` fire. */
  readonly signal?: AbortSignal;
  /**
   * The call's dedupe key (apply/submit): a second call with the same jobId does not run the
   * task again but attaches to the first one's result. On Redis the key is the job's id on the
   * queue, for every caller of that queue, as long as the job's record is kept; locally, for
   * the calls of one pool (the last 10,000 keys).
   */
  readonly jobId?: string;
}

// biome-ignore lint/suspicious/noExplicitAny: the default stands for "a task taking any arguments"
export interface TaskRef<Args extends unknown[] = any[], Result = unknown> {
  readonly kind: 'taskmill.task';
  /** Absolute file URL of the module (a local detail). */
  readonly module: string;
  /** Machine-independent id of the module, by default its file name without extension. */
  readonly moduleId: string;
  /** Export name. */
  readonly name: string;
  /** `<moduleId>#<name>`: what a remote worker resolves against its allow-list. */
  readonly id: string;
  /** Options for calls made through this reference. */
  readonly options: CallOptions;
  /** The same task with per-call options (timeout, signal). */
  with(options: CallOptions): TaskRef<Args, Result>;
  /**
   * A workflow step with its first arguments bound (typed); the rest come from the previous
   * step of a chain: `chain(t.download.partial(url), t.resize.partial({ width: 200 }), t.upload)`.
   */
  partial<const P extends ArgPrefix<Args>>(...args: P): Flow<DropArgs<Args, P>, Result>;
  /** Phantom field that carries the types (arguments checked like a function's); never set at run time. */
  readonly __signature?: (...args: Args) => Result;
}

/** The argument lists that start `A`: `[]`, `[A0]`, `[A0, A1]`, ... */
export type ArgPrefix<A extends unknown[]> = A extends [infer F, ...infer R]
  ? [] | [F, ...ArgPrefix<R>]
  : [] | A;
/** What is left of `A` once the arguments `P` are bound. */
export type DropArgs<A extends unknown[], P extends unknown[]> = A extends [
  ...{ [K in keyof P]: unknown },
  ...infer R,
]
  ? R
  : never;

/** Anything a pool can run: a task reference, or (on sequential and async backends) a plain function. */
export type Task<Args extends unknown[] = unknown[], Result = unknown> =
  | TaskRef<Args, Result>
  | ((...args: Args) => Result | PromiseLike<Result>);

export type TaskArgs<T> =
  T extends TaskRef<infer A, unknown> ? A : T extends (...args: infer A) => unknown ? A : never;
export type TaskResult<T> =
  T extends TaskRef<unknown[], infer R> ? R : T extends (...args: never[]) => infer R ? Awaited<R> : never;

/** The task references of a module type: `tasks<typeof import('./tasks.js')>(url)`. */
export type TasksOf<M> = {
  readonly [K in keyof M as M[K] extends AnyFunction ? K : never]: M[K] extends (...args: infer A) => infer R
    ? TaskRef<A, Awaited<R>>
    : never;
};

export interface TasksOptions {
  /** Stable module id used by remote workers; defaults to the file name without its extension. */
  readonly id?: string;
}

const MODULE_ID = /^[A-Za-z0-9_.@/-]{1,200}$/;
const EXPORT_NAME = /^[A-Za-z_$][A-Za-z0-9_$]{0,199}$/;

/** Turns a URL, a `file:` URL string or a path (relative to the working directory) into a file URL string. */
export function toModuleUrl(module: string | URL): string {
  if (module instanceof URL) return module.href;
  if (typeof module !== 'string' || module.length === 0) {
    throw new InvalidArgumentError(
      'a task module must be a URL or a path, e.g. new URL("./tasks.js", import.meta.url)',
    );
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(module) && !/^[a-z]:[\\/]/i.test(module)) return new URL(module).href;
  return pathToFileURL(resolve(module)).href;
}

export function defaultModuleId(moduleUrl: string): string {
  const file = basename(new URL(moduleUrl).pathname);
  return file.slice(0, file.length - extname(file).length) || file;
}

export function validateModuleId(id: string): string {
  if (!MODULE_ID.test(id)) {
    throw new InvalidArgumentError(
      `module id ${JSON.stringify(id)} is not valid: use 1-200 letters, digits, and . _ - @ /`,
    );
  }
  return id;
}

export function validateExportName(name: string): string {
  if (!EXPORT_NAME.test(name)) {
    throw new InvalidArgumentError(`${JSON.stringify(name)} is not a valid export name for a task`);
  }
  return name;
}

/** One task reference. Prefer `tasks()`, which types every export of the module. */
export function taskRef<Args extends unknown[] = unknown[], Result = unknown>(
  module: string | URL,
  name: string,
  options: TasksOptions & CallOptions = {},
): TaskRef<Args, Result> {
  checkOptionsObject(options, 'taskRef() options');
  assertKnownKeys(options, [...TASKS_OPTION_KEYS, ...CALL_OPTION_KEYS], 'taskRef() options');
  const url = toModuleUrl(module);
  const moduleId = validateModuleId(options.id ?? defaultModuleId(url));
  return makeRef(url, moduleId, validateExportName(name), pickCallOptions(options));
}

function makeRef<Args extends unknown[], Result>(
  module: string,
  moduleId: string,
  name: string,
  options: CallOptions,
): TaskRef<Args, Result> {
  const ref: TaskRef<Args, Result> = {
    kind: 'taskmill.task',
    module,
    moduleId,
    name,
    id: `${moduleId}#${name}`,
    options,
    with(more: CallOptions): TaskRef<Args, Result> {
      checkOptionsObject(more, `${name}.with() options`);
      assertKnownKeys(more, CALL_OPTION_KEYS, `${name}.with() options`);
      return makeRef(module, moduleId, name, { ...options, ...pickCallOptions(more) });
    },
    partial(...args: unknown[]) {
      return makeFlow({ type: 'task', task: ref as TaskRef, args, options: {} });
    },
  } as TaskRef<Args, Result>;
  return Object.freeze(ref);
}

/** The keys of CallOptions and TasksOptions: any other is refused. */
export const CALL_OPTION_KEYS: readonly (keyof CallOptions)[] = ['timeout', 'signal', 'jobId'];
const JOB_ID = /^[A-Za-z0-9_.@:-]{1,200}$/;
const TASKS_OPTION_KEYS: readonly (keyof TasksOptions)[] = ['id'];

function checkOptionsObject(options: unknown, where: string): void {
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError(`${where} must be an object, e.g. { timeout: 5000 }`);
  }
}

function pickCallOptions(options: CallOptions): CallOptions {
  const out: { timeout?: number; signal?: AbortSignal; jobId?: string } = {};
  if (options.timeout !== undefined) {
    if (!(typeof options.timeout === 'number' && options.timeout > 0 && Number.isFinite(options.timeout))) {
      throw new InvalidArgumentError(
        `timeout must be a positive number of milliseconds, got ${options.timeout}`,
      );
    }
    out.timeout = options.timeout;
  }
  if (options.signal !== undefined) {
    if (!(options.signal instanceof AbortSignal)) {
      throw new InvalidArgumentError('signal must be an AbortSignal (e.g. AbortSignal.timeout(1000))');
    }
    out.signal = options.signal;
  }
  if (options.jobId !== undefined) {
    if (typeof options.jobId !== 'string' || !JOB_ID.test(options.jobId) || /^\d+$/.test(options.jobId)) {
      throw new InvalidArgumentError(
        `jobId ${JSON.stringify(options.jobId)} is not valid: use 1-200 letters, digits, and . _ - @ : (not only digits, which BullMQ keeps for its own ids), e.g. 'order-42'`,
      );
    }
    out.jobId = options.jobId;
  }
  return out;
}

/**
 * Typed references to every export of a task module:
 * `const t = tasks<typeof import('./tasks.js')>(new URL('./tasks.js', import.meta.url))`.
 * The module is not loaded here; a worker loads it when a task first runs.
 */
export function tasks<M>(module: string | URL, options: TasksOptions = {}): TasksOf<M> {
  checkOptionsObject(options, 'tasks() options');
  assertKnownKeys(options, TASKS_OPTION_KEYS, 'tasks() options');
  const url = toModuleUrl(module);
  const moduleId = validateModuleId(options.id ?? defaultModuleId(url));
  const cache = new Map<string, TaskRef>();
  return new Proxy({} as TasksOf<M>, {
    get(_target, property) {
      if (typeof property !== 'string' || property === 'then') return undefined;
      let ref = cache.get(property);
      if (ref === undefined) {
        ref = makeRef(url, moduleId, validateExportName(property), {});
        cache.set(property, ref);
      }
      return ref;
    },
  });
}

export function isTaskRef(value: unknown): value is TaskRef {
  return (
    typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'taskmill.task'
  );
}

/** A short human name for a task, used in errors and events. */
export function describeTask(task: Task<never[], unknown> | TaskRef): string {
  if (isTaskRef(task)) return task.id;
  return typeof task === 'function' && task.name ? task.name : 'anonymous function';
}
