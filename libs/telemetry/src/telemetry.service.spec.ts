import { SpanKind } from '@opentelemetry/api';
import { BatonConfig } from '@baton/common';
import { TelemetryService } from './telemetry.service.js';
import { parseIncoming, readRunTraceContext } from './trace-context.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

describe('TelemetryService', () => {
  it('creates no exporter, stores no context and sends no traceparent when no endpoint is set', async () => {
    const telemetry = new TelemetryService(new BatonConfig({}));
    expect(telemetry.enabled).toBe(false);
    expect(telemetry.endpoint).toBeNull();
    expect(telemetry['provider']).toBeNull(); // no SDK provider, so no exporter
    expect(telemetry.newRunContext({ traceparent: `00-${TRACE}-${SPAN}-01` })).toBeNull();
    const span = telemetry.startSpan('step x', { kind: SpanKind.CLIENT });
    expect(span.isRecording()).toBe(false);
    expect(await telemetry.inSpan(span, async () => telemetry.headers())).toEqual({});
    await telemetry.onApplicationShutdown();
  });

  it('exports to OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces, or the traces endpoint as given', async () => {
    const base = new TelemetryService(new BatonConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318/' }));
    expect(base.endpoint).toBe('http://127.0.0.1:4318/v1/traces');
    const traces = new TelemetryService(new BatonConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:1', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:2/t' }));
    expect(traces.endpoint).toBe('http://b:2/t');
    let refused: any;
    try {
      new BatonConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' });
    } catch (error) {
      refused = error;
    }
    expect(refused?.details).toEqual([expect.objectContaining({ path: 'OTEL_EXPORTER_OTLP_ENDPOINT' })]);
    await Promise.all([base.onApplicationShutdown(), traces.onApplicationShutdown()]);
  });

  it('continues a caller’s trace, or starts one, and names the active span in outbound headers', async () => {
    const telemetry = new TelemetryService(new BatonConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' }));
    const continued = telemetry.newRunContext({ traceparent: `00-${TRACE}-${SPAN}-01`, tracestate: 'vendor=1' })!;
    expect(continued).toMatchObject({ traceId: TRACE, parentSpanId: SPAN, traceFlags: 1, traceState: 'vendor=1' });
    expect(continued.spanId).toMatch(/^[0-9a-f]{16}$/);
    const fresh = telemetry.newRunContext({ traceparent: '00-zz-yy-01' })!;
    expect(fresh.traceId).not.toBe(TRACE);
    expect(fresh.parentSpanId).toBeUndefined();
    const step = telemetry.startSpan('step a', { parent: continued });
    expect(step.spanContext().traceId).toBe(TRACE);
    const headers = await telemetry.inSpan(step, async () => telemetry.headers());
    expect(headers).toEqual({ traceparent: `00-${TRACE}-${step.spanContext().spanId}-01`, tracestate: 'vendor=1' });
    // A child run started inside the step hangs under the step span, in the same trace.
    const child = telemetry.inSpan(step, () => telemetry.childRunContext(continued))!;
    expect(child).toMatchObject({ traceId: TRACE, parentSpanId: step.spanContext().spanId });
    // Nothing was ended, so nothing is exported (no collector listens on port 9).
    await telemetry.onApplicationShutdown();
  });
});

describe('trace context', () => {
  it('reads a traceparent and refuses malformed ones', () => {
    expect(parseIncoming({ traceparent: `00-${TRACE}-${SPAN}-00` })).toMatchObject({ traceId: TRACE, spanId: SPAN, traceFlags: 0, isRemote: true });
    expect(parseIncoming({ traceparent: `00-${'0'.repeat(32)}-${SPAN}-01` })).toBeNull();
    expect(parseIncoming({ traceparent: [`00-${TRACE}-${SPAN}-01`, `00-${TRACE}-${SPAN}-01`] })).toBeNull();
    expect(parseIncoming({})).toBeNull();
  });

  it('reads back only stored values that look like a trace context', () => {
    expect(readRunTraceContext({ traceId: TRACE, spanId: SPAN, traceFlags: 1, parentSpanId: 'nope' })).toEqual({ traceId: TRACE, spanId: SPAN, traceFlags: 1 });
    expect(readRunTraceContext({ traceId: 'x', spanId: SPAN })).toBeNull();
    expect(readRunTraceContext(null)).toBeNull();
  });
});
