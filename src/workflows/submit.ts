/**
 * pool.run / pool.submitFlow / pool.flow: compiles a flow, opens its store (Redis for the
 * redis backend, memory otherwise) and starts its run; or, by id, reads a flow from Redis and
 * resumes it where it stands.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Backend } from '../core/backend.js';
import { InvalidArgumentError } from '../core/errors.js';
import { assertKnownKeys } from '../core/option-keys.js';
import { type TaskRef, taskRef } from '../core/task.js';
import { needsRedis } from '../pool/remote-job.js';
import { specOf } from './compose.js';
import { FlowCancelledError, FlowNodeError, FlowNotFoundError } from './errors.js';
import { FlowHandle } from './flow-handle.js';
import { FlowRun, type Resume } from './flow-run.js';
import { compile, type FlowGraph } from './graph.js';
import type { FlowHost } from './host.js';
import { checkNodeOptions, type Step } from './spec.js';
import { type FlowStore, MEMORY_STORE, validateFlowId } from './store.js';

export interface SubmitFlowOptions {
  /** Cancels the flow, as `handle.cancel()` does. */
  readonly signal?: AbortSignal;
  /**
   * Nodes per request when many nodes of one task are ready together (on Redis, per job).
   * Default on Redis: enough to spread them over the workers (at most 1,000 a job); elsewhere 1.
   * 1 sends each node on its own (on Redis, one job per node: a killed worker's job then reruns
   * that node only).
   */
  readonly chunkSize?: number;
}

const OPTION_KEYS: readonly (keyof SubmitFlowOptions)[] = ['signal', 'chunkSize'];

interface RedisSide extends Backend {
  readonly redisClient: Redis | undefined;
  readonly prefix: string;
  readonly queueName: string;
}

export function submitFlow<R>(
  host: FlowHost,
  flow: Step<[], R>,
  options: SubmitFlowOptions = {},
): FlowHandle<R> {
  host.assertOpen();
  checkSubmitOptions(options);
  const spec = specOf(flow, 'the flow');
  const refs: TaskRef[] = [];
  const graph = compile(spec, refs);
  graph.nodes.forEach((node, i) => {
    checkNodeOptions(node.options, node.path);
    const ref = refs[i];
    if (ref?.options.signal !== undefined) {
      throw new InvalidArgumentError(
        `${node.path}: a task's own signal does not apply within a flow; cancel the flow instead: pool.submitFlow(flow, { signal }) or handle.cancel()`,
      );
    }
    if ((ref?.options as { jobId?: unknown } | undefined)?.jobId !== undefined) {
      throw new InvalidArgumentError(
        `${node.path}: a task's own jobId does not apply within a flow, whose jobs the flow names itself (a flow is resumed by its id: pool.flow(id))`,
      );
    }
    // Bound arguments that cannot reach a worker fail here, naming the node.
    if (ref !== undefined && node.args.length > 0) host.prepareBatch(ref, [[...node.args]], 0);
  });
  const id = `flow-${randomUUID()}`;
  const handle = new FlowHandle<R>(id);
  const epoch = host.enter();
  linkSignal(handle, options.signal);
  void (async () => {
    let run: FlowRun | undefined;
    try {
      const backend = await host.ready();
      let store: FlowStore = MEMORY_STORE;
      if (backend.name === 'redis') {
        const side = backend as RedisSide;
        const { RedisFlowStore } = await import('./redis-store.js');
        const redis = new RedisFlowStore(clientOf(side), side.prefix, side.queueName, id);
        await redis.create(spec);
        store = redis;
      }
      run = new FlowRun(host, backend, id, graph, refs, store, handle._listener(), options, epoch);
    } catch (error) {
      host.leave(epoch);
      handle._settle(undefined, error instanceof Error ? error : new Error(String(error)));
      return;
    }
    handle._started(run);
    if (!run.settled) run.start();
  })();
  return handle;
}

export function attachFlow<R>(host: FlowHost, id: string, options: SubmitFlowOptions = {}): FlowHandle<R> {
  host.assertOpen();
  if (host.backendName !== 'redis') throw needsRedis('flow', host.backendName);
  checkSubmitOptions(options);
  validateFlowId(id);
  const handle = new FlowHandle<R>(id);
  const epoch = host.enter();
  linkSignal(handle, options.signal);
  void (async () => {
    let run: FlowRun | undefined;
    let resume: Resume | undefined;
    try {
      const { RedisFlowStore } = await import('./redis-store.js');
      const side = (await host.ready()) as RedisSide;
      const client = clientOf(side);
      const known = new Map<string, TaskRef>();
      const refFor = (taskId: string): TaskRef => {
        let ref = known.get(taskId);
        if (ref === undefined) known.set(taskId, (ref = remoteRef(taskId)));
        return ref;
      };
      const stored = await RedisFlowStore.load(client, side.prefix, side.queueName, id, refFor);
      if (stored === undefined) throw new FlowNotFoundError(id, side.queueName);
      const refs: TaskRef[] = [];
      const graph = compile(stored.spec, refs);
      const store = new RedisFlowStore(client, side.prefix, side.queueName, id);
      run = new FlowRun(host, side, id, graph, refs, store, handle._listener(), options, epoch);
      if (stored.state !== 'running') {
        run.showFinished(stored.results, stored.failure?.node, stored.jobs);
        handle._started(run);
        host.leave(epoch);
        handle._settle(stored.value, finishedError(id, graph, stored));
        return;
      }
      resume = { results: stored.results, jobs: stored.jobs };
    } catch (error) {
      host.leave(epoch);
      handle._settle(undefined, error instanceof Error ? error : new Error(String(error)));
      return;
    }
    handle._started(run);
    if (!run.settled) run.start(resume);
  })();
  return handle;
}

function finishedError(
  id: string,
  graph: FlowGraph,
  stored: { state: string; failure?: { node: number; attempts: number; cause: Error }; reason?: string },
): Error | undefined {
  if (stored.state === 'fulfilled') return undefined;
  if (stored.state === 'rejected' && stored.failure !== undefined) {
    const { node, attempts, cause } = stored.failure;
    const def = graph.nodes[node];
    return new FlowNodeError(id, node, def?.path ?? `node ${node}`, def?.task ?? 'unknown', attempts, cause);
  }
  return new FlowCancelledError(id, stored.reason);
}

/** A task reference from its id alone: all the redis backend sends is the id. */
function remoteRef(id: string): TaskRef {
  const at = id.lastIndexOf('#');
  const moduleId = id.slice(0, at);
  return taskRef(new URL(`taskmill-remote:${encodeURIComponent(moduleId)}`), id.slice(at + 1), {
    id: moduleId,
  });
}

function clientOf(side: RedisSide): Redis {
  const client = side.redisClient;
  if (client === undefined) throw new InvalidArgumentError('the redis backend has not connected');
  return client;
}

function linkSignal<R>(handle: FlowHandle<R>, signal: AbortSignal | undefined): void {
  if (signal === undefined) return;
  if (signal.aborted) {
    handle.cancel(signal.reason);
    return;
  }
  const onAbort = () => handle.cancel(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  handle.result().then(
    () => signal.removeEventListener('abort', onAbort),
    () => signal.removeEventListener('abort', onAbort),
  );
}

function checkSubmitOptions(options: SubmitFlowOptions): void {
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError('flow options must be an object, e.g. { chunkSize: 1 }');
  }
  assertKnownKeys(options, OPTION_KEYS, 'flow options');
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new InvalidArgumentError('signal must be an AbortSignal (e.g. AbortSignal.timeout(1000))');
  }
  const size = options.chunkSize;
  if (size !== undefined && !(Number.isInteger(size) && size >= 1)) {
    throw new InvalidArgumentError(`chunkSize must be a whole number of nodes, 1 or more, got ${size}`);
  }
}
