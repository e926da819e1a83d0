/**
 * OpenTelemetry spans, when `@opentelemetry/api` is installed: one span per task call on the
 * caller (from submit until it settles) and one on the worker that runs it, joined by a W3C
 * `traceparent` that travels with the request (to worker threads and child processes in the
 * run message, to remote workers in the Redis job). Without the package, or without a
 * registered tracer provider, nothing here runs per call.
 *
 * The traceparent is written and read here (not through the global propagator), so the trace
 * holds together whatever propagator the application configured.
 */
import type { ExecResult } from '../core/backend.js';
import type { PoolObserver } from './observer.js';
import { optionalPeer } from './optional-peer.js';

// The little of @opentelemetry/api used here, typed locally so taskmill's own types never name it.
interface SpanContext {
  traceId: string;
  spanId: string;
  traceFlags: number;
  isRemote?: boolean;
}
interface Span {
  spanContext(): SpanContext;
  isRecording(): boolean;
  setAttribute(key: string, value: string | number): void;
  setStatus(status: { code: number; message?: string }): void;
  recordException(error: unknown): void;
  end(): void;
}
type Context = object;
interface Tracer {
  startSpan(
    name: string,
    options: { kind: number; attributes?: Record<string, string | number> },
    context: Context,
  ): Span;
}
interface OtelApi {
  trace: {
    getTracer(name: string): Tracer;
    getTracerProvider(): { getDelegate?(): unknown };
    setSpan(context: Context, span: Span): Context;
    setSpanContext(context: Context, spanContext: SpanContext): Context;
    getSpanContext(context: Context): SpanContext | undefined;
  };
  context: { active(): Context; with<T>(context: Context, fn: () => T): T };
  ROOT_CONTEXT: Context;
  ProxyTracerProvider: new () => { getDelegate(): unknown };
}

const SPAN_KIND_PRODUCER = 3;
const SPAN_KIND_CONSUMER = 4;
const STATUS_OK = 1;
const STATUS_ERROR = 2;
const SPAN = Symbol('taskmill.tracing.span');

let api: OtelApi | null | undefined;
/**
 * Set while a worker span runs code (WorkerSpan.run): calls submitted then, by the worker's own
 * local pool, carry the worker span's traceparent on instead of opening a second caller span.
 */
let relaying: string | undefined;
let noopProvider: unknown;

/** The API, or null when it is not installed (looked up once per process). */
function otel(): OtelApi | null {
  if (api === undefined) {
    api = optionalPeer<OtelApi>('@opentelemetry/api') ?? null;
    if (api !== null) noopProvider = new api.ProxyTracerProvider().getDelegate();
  }
  return api;
}

/** Whether a tracer provider is registered (spans would be recorded). */
function providerRegistered(a: OtelApi): boolean {
  return a.trace.getTracerProvider().getDelegate?.() !== noopProvider;
}

/** `00-<trace id>-<span id>-<flags>`. */
export function formatTraceparent(context: SpanContext): string {
  return `00-${context.traceId}-${context.spanId}-${(context.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The span context in a traceparent (untrusted input: anything malformed gives undefined). */
export function parseTraceparent(text: unknown): SpanContext | undefined {
  if (typeof text !== 'string') return undefined;
  const match = TRACEPARENT.exec(text);
  if (match === null || /^0+$/.test(match[1] as string) || /^0+$/.test(match[2] as string)) return undefined;
  return {
    traceId: match[1] as string,
    spanId: match[2] as string,
    traceFlags: Number.parseInt(match[3] as string, 16),
    isRemote: true,
  };
}

function describeError(error: unknown): string {
  if (error !== null && typeof error === 'object' && 'message' in error) {
    const { name, message } = error as { name?: unknown; message?: unknown };
    return `${String(name ?? 'Error')}: ${String(message)}`;
  }
  return String(error);
}

/**
 * The caller side: a PRODUCER span per request, its traceparent put on the request. Decided
 * when the pool is made: register the OpenTelemetry SDK before creating pools.
 */
export function callerTracing(backend: string): PoolObserver | undefined {
  const a = otel();
  if (a === null || !providerRegistered(a)) return undefined;
  const tracer = a.trace.getTracer('taskmill');
  return {
    submitted({ request }) {
      if (relaying !== undefined) {
        (request as { traceparent?: string }).traceparent = relaying;
        return;
      }
      const parent = a.context.active();
      const span = tracer.startSpan(
        `taskmill ${request.taskName}`,
        {
          kind: SPAN_KIND_PRODUCER,
          attributes: { 'taskmill.task': request.taskName, 'taskmill.backend': backend },
        },
        parent,
      );
      const context = span.spanContext();
      (request as { [SPAN]?: Span })[SPAN] = span;
      if (/^0+$/.test(context.traceId)) return;
      (request as { traceparent?: string }).traceparent = formatTraceparent(context);
    },
    started() {},
    settled({ request }, result: ExecResult | undefined, error: unknown) {
      const span = (request as { [SPAN]?: Span })[SPAN];
      if (span === undefined) return;
      (request as { [SPAN]?: Span })[SPAN] = undefined;
      const failed = result?.errors?.values().next().value ?? (result === undefined ? error : undefined);
      if (failed !== undefined) {
        span.recordException(failed);
        span.setStatus({ code: STATUS_ERROR, message: describeError(failed) });
      } else {
        span.setStatus({ code: STATUS_OK });
      }
      span.end();
    },
  };
}

/** A worker-side span: `run` calls code with the span active, `end` closes it. */
export interface WorkerSpan {
  run<T>(fn: () => T): T;
  end(error?: unknown): void;
  /** The span's own traceparent (to pass further down, e.g. to a local pool). */
  readonly traceparent: string;
}

/**
 * Opens the worker's CONSUMER span for a request that carried `traceparent`; undefined when the
 * API is missing or the traceparent is not valid. Without a registered provider the span records
 * nothing, but the trace context still flows to what the task starts.
 */
export function startWorkerSpan(traceparent: unknown, task: string, where: string): WorkerSpan | undefined {
  const remote = parseTraceparent(traceparent);
  if (remote === undefined) return undefined;
  const a = otel();
  if (a === null) return undefined;
  const parent = a.trace.setSpanContext(a.ROOT_CONTEXT, remote);
  const span = a.trace
    .getTracer('taskmill')
    .startSpan(
      `taskmill run ${task}`,
      { kind: SPAN_KIND_CONSUMER, attributes: { 'taskmill.task': task, 'taskmill.worker': where } },
      parent,
    );
  const active = a.trace.setSpan(parent, span);
  let ended = false;
  const own = formatTraceparent(span.spanContext());
  return {
    traceparent: own,
    run: (fn) => {
      const outer = relaying;
      relaying = own;
      try {
        return a.context.with(active, fn);
      } finally {
        relaying = outer;
      }
    },
    end(error) {
      if (ended) return;
      ended = true;
      if (error !== undefined) {
        span.recordException(error);
        span.setStatus({ code: STATUS_ERROR, message: describeError(error) });
      } else span.setStatus({ code: STATUS_OK });
      span.end();
    },
  };
}
