/**
 * What a call's task and arguments must be before they are queued: a task this backend can run,
 * arguments that can cross to its workers (checked at submit time, naming the argument), and
 * buffers wrapped in move() unwrapped into a transfer list.
 */
import { assertCloneable, assertCloneableValue, type BufferPath } from '../core/arguments.js';
import type { BackendName } from '../core/backend.js';
import { InvalidArgumentError } from '../core/errors.js';
import { type AnyFunction, isTaskRef, type Task } from '../core/task.js';
import { isMoved, unwrapMoved } from '../core/transfer.js';
import { runsInProcess } from './backend-registry.js';

/** Throws unless `task` is a task reference, or a function on a backend that runs functions. */
export function checkRunnable(backend: BackendName, task: unknown, label: string): void {
  if (isTaskRef(task)) return;
  if (typeof task !== 'function') {
    throw new InvalidArgumentError(
      `${label} must be a task reference (from tasks(new URL('./tasks.js', import.meta.url))) or a function`,
    );
  }
  if (!runsInProcess(backend)) {
    const name = (task as AnyFunction).name || 'this function';
    const suggested = name === 'this function' ? 'myTask' : name;
    throw new InvalidArgumentError(
      `the ${backend} backend cannot run a plain function (${name}): functions cannot cross to another thread or process. ` +
        `Move it into a module as an export (export function ${suggested}(...) {...}), ` +
        `then pass tasks<typeof import('./tasks.js')>(new URL('./tasks.js', import.meta.url)).${suggested}`,
    );
  }
}

/** What the checks found: buffers to move, and where Buffers sit (threads restore them). */
export interface Prepared {
  transfer?: ArrayBuffer[];
  buffers?: BufferPath[];
  /** Bytes of binary data among the arguments (moved ones included): see ExecRequest.copyBytes. */
  copyBytes?: number;
}

/** One call's arguments: checked, moved values unwrapped (undefined when there is nothing to carry). */
export function prepareCall(
  backend: BackendName,
  task: Task<never[], unknown>,
  args: unknown[],
  label: string,
): Prepared | undefined {
  checkRunnable(backend, task, 'a task');
  const transfer = unwrapMoved(args);
  let buffers: BufferPath[] | undefined;
  let bytes = 0;
  if (!runsInProcess(backend)) {
    buffers = backend === 'threads' ? [] : undefined;
    bytes = assertCloneable(args, label, buffers);
  }
  return carried(transfer, buffers, bytes);
}

function carried(
  transfer: ArrayBuffer[] | undefined,
  buffers: BufferPath[] | undefined,
  bytes: number,
): Prepared | undefined {
  if (transfer === undefined && (buffers === undefined || buffers.length === 0) && bytes === 0)
    return undefined;
  const out: Prepared = {};
  if (transfer !== undefined) out.transfer = transfer;
  if (buffers !== undefined && buffers.length > 0) out.buffers = buffers;
  if (bytes > 0) out.copyBytes = bytes;
  return out;
}

/** A batch of argument lists (starmap): checked, moved values unwrapped. */
export function prepareBatch(
  backend: BackendName,
  task: Task<never[], unknown>,
  items: unknown[][],
  firstIndex: number,
): Prepared | undefined {
  checkRunnable(backend, task, 'a task');
  const check = !runsInProcess(backend);
  const buffers: BufferPath[] | undefined = backend === 'threads' ? [] : undefined;
  let transfer: ArrayBuffer[] | undefined;
  let bytes = 0;
  for (let i = 0; i < items.length; i++) {
    const args = items[i] as unknown[];
    // Primitive arguments (the common case for tiny tasks) need neither unwrapping nor checks.
    if (args.length === 1 && isPrimitive(args[0])) continue;
    const moved = unwrapMoved(args);
    if (moved !== undefined) {
      transfer ??= [];
      for (const buffer of moved) if (!transfer.includes(buffer)) transfer.push(buffer);
    }
    if (check) bytes += assertCloneable(args, `items[${firstIndex + i}]`, buffers, [i]);
  }
  return carried(transfer, buffers, bytes);
}

/** A batch of single arguments (map): checked, moved values unwrapped in place. */
export function prepareSingles(
  backend: BackendName,
  task: Task<never[], unknown>,
  args: unknown[],
  firstIndex: number,
): Prepared | undefined {
  checkRunnable(backend, task, 'a task');
  const check = !runsInProcess(backend);
  const buffers: BufferPath[] | undefined = backend === 'threads' ? [] : undefined;
  let transfer: ArrayBuffer[] | undefined;
  let bytes = 0;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (isPrimitive(arg)) continue;
    if (isMoved(arg)) {
      args[i] = arg.value;
      transfer ??= [];
      for (const buffer of arg.transferList) if (!transfer.includes(buffer)) transfer.push(buffer);
    }
    if (check) bytes += assertCloneableValue(args[i], `items[${firstIndex + i}]`, buffers, [i]);
  }
  return carried(transfer, buffers, bytes);
}

function isPrimitive(value: unknown): boolean {
  return (
    value === null || (typeof value !== 'object' && typeof value !== 'function' && typeof value !== 'symbol')
  );
}
