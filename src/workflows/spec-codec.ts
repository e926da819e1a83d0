/**
 * A flow's spec in the compact form Redis keeps (a resumed flow compiles it again, to the very
 * same nodes): a task step is `[0, taskId, args, options?]`, a chain `[1, steps]`, a group
 * `[2, members]`. Arguments that are plain JSON scalars go as they are; any other goes through
 * the wire codec (Buffers, Dates, Maps, BigInt...). Far cheaper than encoding the compiled
 * graph: a chord of 10,000 nodes packs in a few ms.
 */
import type { TaskRef } from '../core/task.js';
import { decodeValue, encodeValue, type Json } from '../distributed/wire-codec.js';
import type { FlowSpec, NodeOptions } from './spec.js';

type Packed = [0, string, unknown] | [0, string, unknown, NodeOptions] | [1 | 2, Packed[]];

export function packSpec(spec: FlowSpec): Packed {
  switch (spec.type) {
    case 'task': {
      const args = spec.args.every(isPlainScalar)
        ? spec.args
        : { $w: encodeValue(spec.args, `the arguments of ${spec.task.id}`) };
      const timeout = spec.options.timeout ?? spec.task.options.timeout;
      const options: { -readonly [K in keyof NodeOptions]: NodeOptions[K] } = {};
      if (spec.options.attempts !== undefined) options.attempts = spec.options.attempts;
      if (spec.options.backoff !== undefined) options.backoff = spec.options.backoff;
      if (timeout !== undefined) options.timeout = timeout;
      return Object.keys(options).length > 0 ? [0, spec.task.id, args, options] : [0, spec.task.id, args];
    }
    case 'chain':
      return [1, spec.steps.map(packSpec)];
    case 'group':
      return [2, spec.members.map(packSpec)];
  }
}

export function unpackSpec(packed: Packed, refFor: (taskId: string) => TaskRef): FlowSpec {
  if (packed[0] === 0) {
    const [, id, args, options] = packed as [0, string, unknown, NodeOptions?];
    return {
      type: 'task',
      task: refFor(id),
      args: Array.isArray(args) ? args : (decodeValue((args as { $w: Json }).$w) as unknown[]),
      options: options ?? {},
    };
  }
  const inner = (packed[1] as Packed[]).map((step) => unpackSpec(step, refFor));
  return packed[0] === 1 ? { type: 'chain', steps: inner } : { type: 'group', members: inner };
}

function isPlainScalar(value: unknown): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0);
    default:
      return value === null;
  }
}
