/**
 * A flow's spec compiled into the nodes that run: one node per task step, each knowing the
 * arguments bound to it, where its input comes from (another node's output, or a list of them
 * for a group) and which nodes it waits for. Plain data (task ids, not references), so that the
 * redis backend can store it and another process can resume it.
 */
import type { TaskRef } from '../core/task.js';
import type { FlowSpec, NodeOptions } from './spec.js';

/** Where a value comes from: a node's output, or a list (a group's outputs, in order). */
export type InputRef = { readonly node: number } | { readonly list: readonly InputRef[] };

export interface NodeDef {
  readonly index: number;
  /** The task's stable id (`moduleId#name`). */
  readonly task: string;
  /** Arguments bound with partial(). */
  readonly args: readonly unknown[];
  /** The previous step's output, appended to `args`; absent for a first step. */
  readonly input?: InputRef;
  /** Nodes whose outputs this one needs. */
  readonly deps: readonly number[];
  /** Where the node sits in the flow, for errors and events: `chain[1] > group[3] > tasks#resize`. */
  readonly path: string;
  readonly options: StoredOptions;
}

/** Node options, as stored with the graph. */
export type StoredOptions = NodeOptions;

export interface FlowGraph {
  readonly nodes: readonly NodeDef[];
  /** The flow's output. */
  readonly output: InputRef;
}

/** Compiles a spec; `refs` collects each node's task reference (kept out of the stored graph). */
export function compile(spec: FlowSpec, refs: TaskRef[]): FlowGraph {
  const nodes: NodeDef[] = [];
  const visit = (step: FlowSpec, input: InputRef | undefined, path: string): InputRef => {
    switch (step.type) {
      case 'task': {
        const index = nodes.length;
        const deps: number[] = [];
        if (input !== undefined) collectDeps(input, deps);
        const options = step.options;
        const where = path === '' ? step.task.id : `${path} > ${step.task.id}`;
        nodes.push({
          index,
          task: step.task.id,
          args: step.args,
          ...(input !== undefined ? { input } : {}),
          deps,
          path: where,
          options: {
            ...(step.task.options.timeout !== undefined ? { timeout: step.task.options.timeout } : {}),
            ...options,
          },
        });
        refs.push(step.task);
        return { node: index };
      }
      case 'chain': {
        let current = input;
        step.steps.forEach((inner, i) => {
          current = visit(inner, current, join(path, `chain[${i}]`));
        });
        return current ?? { list: [] };
      }
      case 'group':
        return { list: step.members.map((inner, i) => visit(inner, input, join(path, `group[${i}]`))) };
    }
  };
  const output = visit(spec, undefined, '');
  return { nodes, output };
}

function join(path: string, part: string): string {
  return path === '' ? part : `${path} > ${part}`;
}

function collectDeps(ref: InputRef, out: number[], seen = new Set<number>()): void {
  if ('node' in ref) {
    if (!seen.has(ref.node)) {
      seen.add(ref.node);
      out.push(ref.node);
    }
  } else for (const inner of ref.list) collectDeps(inner, out, seen);
}

/** The value `ref` stands for, from the nodes' results. */
export function resolveInput(ref: InputRef, results: readonly unknown[]): unknown {
  if ('node' in ref) return results[ref.node];
  return ref.list.map((inner) => resolveInput(inner, results));
}

/** A node's argument list, once its inputs are there. */
export function nodeArgs(node: NodeDef, results: readonly unknown[]): unknown[] {
  return node.input === undefined ? [...node.args] : [...node.args, resolveInput(node.input, results)];
}
