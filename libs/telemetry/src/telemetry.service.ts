import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingHttpHeaders } from 'node:http';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import {
  ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace, type Attributes, type Context, type Span, type Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { BatonConfig } from '@baton/common';
import { ChosenIdGenerator } from './chosen-id-generator.js';
import { parseIncoming, runParentContext, runSpanContext, type IncomingTraceHeaders, type RunTraceContext } from './trace-context.js';

/** Where a new span hangs: a stored run context, or (default) the span active in this async call chain. */
export interface SpanOptions {
  parent?: RunTraceContext | null | 'active';
  kind?: SpanKind;
  attributes?: Attributes;
  startTime?: Date;
}

/** What a finished run's span needs; a `Run` of `@baton/runs` has all of it. */
export interface FinishedRunSpan {
  id: string;
  definitionName: string;
  status: string;
  createdAt: Date;
  finishedAt: Date | null;
  parentRunId: string | null;
  error: { message: string; code?: string } | null;
  traceContext: RunTraceContext | null;
}

/**
 * How long shutdown waits for the last spans to reach the collector: an unreachable collector
 * must not hold the process past BATON_SHUTDOWN_GRACE_MS.
 */
const SHUTDOWN_FLUSH_MS = 3_000;

/** How long one export request may take before it is abandoned. */
const EXPORT_TIMEOUT_MS = 5_000;

/** The span that does nothing: what every method hands out while tracing is off. */
const NO_SPAN = trace.wrapSpanContext({ traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: TraceFlags.NONE });

/**
 * Baton's traces (issue 13). With `OTEL_EXPORTER_OTLP_ENDPOINT` (or `_TRACES_ENDPOINT`) set,
 * an OpenTelemetry SDK tracer provider of this app's own (never the global one: several apps
 * may share a process) exports spans over OTLP/HTTP in batches. Unset, nothing is created:
 * every method returns at once with a no-op span, no context is stored on runs and no
 * `traceparent` is sent.
 *
 * The active span of an async call chain is kept in an AsyncLocalStorage of this service, so
 * the step executor opens a step span and the agent clients, several calls down, find it.
 */
@Injectable()
export class TelemetryService implements OnApplicationShutdown {
  private readonly logger = new Logger('Telemetry');
  /** The OTLP/HTTP traces URL spans go to; null when tracing is off. */
  readonly endpoint: string | null;
  private readonly provider: BasicTracerProvider | null = null;
  private readonly tracer: Tracer | null = null;
  private readonly ids = new ChosenIdGenerator();
  private readonly active = new AsyncLocalStorage<Span>();
  /** The W3C headers of the HTTP request being served, for the run it may create. */
  private readonly incoming = new AsyncLocalStorage<IncomingTraceHeaders>();
  private readonly propagator = new W3CTraceContextPropagator();

  constructor(@Inject(BatonConfig) config: BatonConfig) {
    this.endpoint = config.otelTracesEndpoint ?? null;
    if (!this.endpoint) return;
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.otelServiceName, 'service.instance.id': config.instanceId }),
      idGenerator: this.ids,
      spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: this.endpoint, timeoutMillis: EXPORT_TIMEOUT_MS }))],
    });
    this.tracer = this.provider.getTracer('baton');
  }

  /** True when spans are exported. */
  get enabled(): boolean {
    return this.tracer !== null;
  }

  /**
   * The trace context a new top-level run stores: the caller's trace (its `traceparent`, the
   * caller's span as the run span's parent) or a new trace. Null while tracing is off.
   */
  newRunContext(incoming?: IncomingTraceHeaders): RunTraceContext | null {
    if (!this.enabled) return null;
    incoming ??= this.incoming.getStore() ?? {};
    const caller = parseIncoming(incoming);
    const context: RunTraceContext = {
      traceId: caller?.traceId ?? this.ids.newTraceId(),
      spanId: this.ids.newSpanId(),
      traceFlags: caller ? caller.traceFlags : TraceFlags.SAMPLED,
    };
    if (caller) context.parentSpanId = caller.spanId;
    const state = caller?.traceState?.serialize();
    if (state) context.traceState = state;
    return context;
  }

  /**
   * Express middleware: a request carrying `traceparent` is served with its headers at hand, so
   * whichever door creates a run (REST, the A2A JSON-RPC or REST bindings, MCP) continues the
   * caller's trace without passing headers through every layer. Mounted after the body parsers.
   */
  incomingTraceMiddleware(): (request: { headers: IncomingHttpHeaders }, response: unknown, next: () => void) => void {
    return (request, _response, next) => {
      if (!this.enabled || !request.headers.traceparent) return next();
      this.incoming.run({ traceparent: request.headers.traceparent, tracestate: request.headers.tracestate }, next);
    };
  }

  /** A child run's context: its parent's trace, under the span active now (the step starting it). */
  childRunContext(parent: RunTraceContext | null): RunTraceContext | null {
    if (!this.enabled || !parent) return this.newRunContext();
    const active = this.active.getStore()?.spanContext();
    const under = active && active.traceId === parent.traceId ? active.spanId : parent.spanId;
    return { ...parent, spanId: this.ids.newSpanId(), parentSpanId: under };
  }

  /** Starts a span (not made active: see `inSpan`). */
  startSpan(name: string, options: SpanOptions = {}): Span {
    if (!this.tracer) return NO_SPAN;
    return this.tracer.startSpan(
      name,
      { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes, startTime: options.startTime },
      this.parentContext(options.parent ?? 'active'),
    );
  }

  /**
   * Runs `fn` with `span` as the active span of its async call chain. Outside the headers of
   * the request being served, if any: a step run in a chain an HTTP request happened to wake
   * belongs to its run's trace, not to that request's.
   */
  inSpan<T>(span: Span, fn: () => T): T {
    return this.tracer ? this.incoming.exit(() => this.active.run(span, fn)) : fn();
  }

  /** The active span (a no-op span when there is none). */
  activeSpan(): Span {
    return this.active.getStore() ?? NO_SPAN;
  }

  /** Marks a span failed with the error's message. */
  fail(span: Span, error: unknown): void {
    if (!span.isRecording()) return;
    const message = (error as { message?: string })?.message ?? String(error);
    span.setStatus({ code: SpanStatusCode.ERROR, message });
    const code = (error as { code?: unknown })?.code;
    if (typeof code === 'string') span.setAttribute('error.type', code);
  }

  /** `traceparent` (and `tracestate`) naming the active span, for an outbound call; empty when there is none. */
  headers(): Record<string, string> {
    const span = this.active.getStore();
    if (!span) return {};
    const carrier: Record<string, string> = {};
    this.propagator.inject(trace.setSpan(ROOT_CONTEXT, span), carrier, { set: (c, k, v) => (c[k] = v) });
    return carrier;
  }

  /**
   * Emits a run's span once the run has ended, with the ids stored when it was created and
   * its creation time as the start: a span open for hours in one process's memory would be
   * lost with that process, and the run may end on another instance.
   */
  recordRun(run: FinishedRunSpan): void {
    const stored = run.traceContext;
    if (!this.tracer || !stored) return;
    const parent = runParentContext(stored);
    this.ids.chosen = { traceId: stored.traceId, spanId: stored.spanId };
    let span: Span;
    try {
      span = this.tracer.startSpan(
        `run ${run.definitionName}`,
        { kind: SpanKind.INTERNAL, startTime: run.createdAt, attributes: runAttributes(run) },
        parent ? trace.setSpanContext(ROOT_CONTEXT, parent) : ROOT_CONTEXT,
      );
    } finally {
      this.ids.chosen = null;
    }
    if (run.status === 'failed' || run.status === 'cancelled') {
      this.fail(span, run.error ?? { message: `run ${run.status}` });
    }
    span.end(run.finishedAt ?? new Date());
  }

  /** A span whose start and end are already known (an approval wait read back from its row). */
  recordSpan(name: string, options: SpanOptions & { startTime: Date; endTime: Date; error?: unknown }): void {
    if (!this.tracer) return;
    const span = this.startSpan(name, options);
    if (options.error) this.fail(span, options.error);
    span.end(options.endTime);
  }

  /** Sends the spans still buffered. */
  async flush(): Promise<void> {
    await this.provider?.forceFlush();
  }

  /** Flushes the last spans, waiting at most SHUTDOWN_FLUSH_MS for the collector. */
  async onApplicationShutdown(): Promise<void> {
    if (!this.provider) return;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), SHUTDOWN_FLUSH_MS);
      timer.unref();
    });
    try {
      const outcome = await Promise.race([this.provider.shutdown(), late]);
      if (outcome === 'late') this.logger.warn(`gave up sending the last spans to ${this.endpoint} after ${SHUTDOWN_FLUSH_MS} ms`);
    } catch (error) {
      this.logger.warn(`could not send the last spans to ${this.endpoint}: ${(error as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }

  private parentContext(parent: RunTraceContext | null | 'active'): Context {
    if (parent === 'active') {
      const span = this.active.getStore();
      return span ? trace.setSpan(ROOT_CONTEXT, span) : ROOT_CONTEXT;
    }
    return parent ? trace.setSpanContext(ROOT_CONTEXT, runSpanContext(parent)) : ROOT_CONTEXT;
  }
}

function runAttributes(run: FinishedRunSpan): Attributes {
  const attributes: Attributes = { 'baton.run_id': run.id, 'baton.definition': run.definitionName, 'baton.run_status': run.status };
  if (run.parentRunId) attributes['baton.parent_run_id'] = run.parentRunId;
  return attributes;
}

