/**
 * One request of a flow on the pool's run queue: one node, or a chunk of nodes of the same task
 * that became ready together (on Redis a chunk is one job, as a map's batch is). It is at once
 * the queue's Entry and the backend's ExecRequest, and reports each node's outcome back.
 */
import type { BufferPath } from '../core/arguments.js';
import type { ExecRequest, ExecResult } from '../core/backend.js';
import type { TaskRef } from '../core/task.js';
import type { ProgressUpdate } from '../core/task-context.js';
import type { Entry } from '../pool/dispatch.js';
import type { Prepared } from '../pool/prepare-arguments.js';

export interface NodeSink {
  started(nodes: readonly number[]): void;
  nodeDone(node: number, value: unknown): void;
  nodeFailed(node: number, error: unknown): void;
  progress(node: number, update: ProgressUpdate): void;
  finished(entry: NodeEntry): void;
}

export class NodeEntry implements Entry, ExecRequest {
  state: 0 | 1 | 2 = 0;
  observed: unknown = undefined;
  /** Nodes this job carries but no longer answers for (a resumed chunk whose node was retried since). */
  skip: ReadonlySet<number> | undefined;
  readonly taskName: string;
  readonly firstIndex = 0;
  readonly mapBatch?: boolean;
  readonly transfer?: readonly ArrayBuffer[];
  readonly buffers?: readonly BufferPath[];
  readonly timeout?: number;
  readonly jobId?: string;
  /** True on the jobs of a resumed flow, which may be on the queue (or finished) already. */
  jobMayExist = false;

  constructor(
    readonly task: TaskRef,
    readonly nodes: readonly number[],
    readonly items: readonly (readonly unknown[])[],
    carried: Prepared | undefined,
    timeout: number | undefined,
    jobId: string | undefined,
    readonly attempt: number,
    readonly sink: NodeSink,
  ) {
    this.taskName = task.id;
    if (nodes.length > 1) this.mapBatch = true;
    if (carried?.transfer !== undefined) this.transfer = carried.transfer;
    if (carried?.buffers !== undefined) this.buffers = carried.buffers;
    if (timeout !== undefined) this.timeout = timeout;
    if (jobId !== undefined) this.jobId = jobId;
  }

  get request(): ExecRequest {
    return this;
  }

  started(): void {
    this.sink.started(this.nodes);
  }

  onProgress(index: number, update: ProgressUpdate): void {
    const node = this.nodes[index];
    if (node !== undefined) this.sink.progress(node, update);
  }

  done(result: ExecResult): void {
    const { values, errors } = result;
    this.nodes.forEach((node, i) => {
      if (this.skip?.has(node)) return;
      const error = errors?.get(i);
      if (error !== undefined) this.sink.nodeFailed(node, error);
      else this.sink.nodeDone(node, values[i]);
    });
    this.sink.finished(this);
  }

  fail(error: unknown): void {
    for (const node of this.nodes) if (!this.skip?.has(node)) this.sink.nodeFailed(node, error);
    this.sink.finished(this);
  }
}
