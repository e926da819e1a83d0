/** Errors of workflows: which node failed and why, a cancelled flow, an unknown flow id. */
import { TaskmillError } from '../core/errors.js';

/**
 * A node of a flow failed (after its own retries): the chain it is in and every chord above it
 * fail with this error. `node` and `path` name it; `cause` is the task's own error (class,
 * code, message and stack as the task threw it), and `stack` ends with the cause's stack.
 */
export class FlowNodeError extends TaskmillError {
  readonly flowId: string;
  /** The node's index within its flow (the order of its task steps, depth first). */
  readonly node: number;
  /** Where it sits: `chain[0] > group[3] > tasks#resize`. */
  readonly path: string;
  readonly task: string;
  /** Runs it had, counting the first. */
  readonly attempts: number;

  constructor(flowId: string, node: number, path: string, task: string, attempts: number, cause: unknown) {
    const why = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super(
      'ERR_TASKMILL_FLOW_NODE',
      `flow ${flowId} failed at node ${node} (${path})${attempts > 1 ? ` after ${attempts} attempts` : ''}: ${why}`,
      { cause },
    );
    this.flowId = flowId;
    this.node = node;
    this.path = path;
    this.task = task;
    this.attempts = attempts;
    if (cause instanceof Error && cause.stack !== undefined)
      this.stack = `${this.stack}\nCaused by: ${cause.stack}`;
  }
}

/** The flow was cancelled (`handle.cancel()`, or the pool was terminated) before it finished. */
export class FlowCancelledError extends TaskmillError {
  readonly flowId: string;

  constructor(flowId: string, reason?: unknown) {
    const why = reason === undefined ? '' : `: ${reason instanceof Error ? reason.message : String(reason)}`;
    super('ERR_TASKMILL_FLOW_CANCELLED', `flow ${flowId} was cancelled${why}`, { cause: reason });
    this.flowId = flowId;
  }
}

/** `pool.flow(id)` named a flow that Redis does not hold (never made, or expired). */
export class FlowNotFoundError extends TaskmillError {
  readonly flowId: string;

  constructor(flowId: string, queue: string) {
    super(
      'ERR_TASKMILL_FLOW_NOT_FOUND',
      `no flow ${JSON.stringify(flowId)} on queue ${queue}: check the id (handle.id of pool.submitFlow()) and the queue; finished flows expire after 7 days`,
    );
    this.flowId = flowId;
  }
}
