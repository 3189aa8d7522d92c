import { TraceFlags, type SpanContext } from '@opentelemetry/api';
import { TraceState, parseTraceParent } from '@opentelemetry/core';

/**
 * A run's place in a trace, stored on its row (`orchestration_runs.trace_context`) so that any
 * instance, at any later time, can emit spans under it. `spanId` is the run span's own id,
 * chosen when the run is created; the run span itself is emitted when the run ends.
 */
export interface RunTraceContext {
  /** 32 lowercase hex digits. */
  traceId: string;
  /** The run span's id: 16 lowercase hex digits. */
  spanId: string;
  /** W3C trace flags (1 = sampled). */
  traceFlags: number;
  /** The caller's span the run continues (from its `traceparent`), or the parent run's step span. */
  parentSpanId?: string;
  /** The caller's W3C `tracestate`, passed on unchanged. */
  traceState?: string;
}

/** The incoming W3C headers, as a request gives them (either may be missing or repeated). */
export interface IncomingTraceHeaders {
  traceparent?: string | string[];
  tracestate?: string | string[];
}

/**
 * The caller's span context from its `traceparent` (and `tracestate`), or null when the header
 * is missing or malformed: a bad header starts a new trace rather than failing the request,
 * as the W3C Trace Context specification asks.
 */
export function parseIncoming(headers: IncomingTraceHeaders): SpanContext | null {
  const traceparent = single(headers.traceparent);
  if (!traceparent) return null;
  const parsed = parseTraceParent(traceparent.trim());
  if (!parsed) return null;
  parsed.isRemote = true;
  const state = single(headers.tracestate);
  if (state) parsed.traceState = new TraceState(state);
  return parsed;
}

/** The span context of the run span a stored context describes (a parent for its children). */
export function runSpanContext(stored: RunTraceContext): SpanContext {
  return {
    traceId: stored.traceId,
    spanId: stored.spanId,
    traceFlags: stored.traceFlags,
    // It was (or will be) emitted by whichever process ends the run: remote to this one.
    isRemote: true,
    ...(stored.traceState ? { traceState: new TraceState(stored.traceState) } : {}),
  };
}

/** The span context a run span's own parent has (the caller's span), when it has one. */
export function runParentContext(stored: RunTraceContext): SpanContext | null {
  if (!stored.parentSpanId) return null;
  return { ...runSpanContext(stored), spanId: stored.parentSpanId };
}

/** Reads a stored value back; anything that does not look like a trace context is null. */
export function readRunTraceContext(value: unknown): RunTraceContext | null {
  if (!value || typeof value !== 'object') return null;
  const v = value as Record<string, unknown>;
  if (typeof v.traceId !== 'string' || !/^[0-9a-f]{32}$/.test(v.traceId)) return null;
  if (typeof v.spanId !== 'string' || !/^[0-9a-f]{16}$/.test(v.spanId)) return null;
  const context: RunTraceContext = {
    traceId: v.traceId,
    spanId: v.spanId,
    traceFlags: typeof v.traceFlags === 'number' ? v.traceFlags : TraceFlags.SAMPLED,
  };
  if (typeof v.parentSpanId === 'string' && /^[0-9a-f]{16}$/.test(v.parentSpanId)) context.parentSpanId = v.parentSpanId;
  if (typeof v.traceState === 'string' && v.traceState) context.traceState = v.traceState;
  return context;
}

function single(value: string | string[] | undefined): string | undefined {
  // Repeated headers (an array) are not a trace context Baton can trust: ignored.
  if (Array.isArray(value)) return value.length === 1 ? value[0] : undefined;
  return value;
}

/**
 * The W3C headers that put an outbound message under a run's span (a webhook delivery sent
 * long after, from any instance): the run span as the receiver's parent. Empty without a
 * stored context (tracing off when the run was created).
 */
export function runTraceHeaders(stored: RunTraceContext | null): Record<string, string> {
  if (!stored) return {};
  const flags = (stored.traceFlags & 0xff).toString(16).padStart(2, '0');
  const headers: Record<string, string> = { traceparent: `00-${stored.traceId}-${stored.spanId}-${flags}` };
  if (stored.traceState) headers.tracestate = stored.traceState;
  return headers;
}
