export { TelemetryModule } from './telemetry.module.js';
export { TelemetryService, type FinishedRunSpan, type SpanOptions } from './telemetry.service.js';
export { parseIncoming, readRunTraceContext, runTraceHeaders, type IncomingTraceHeaders, type RunTraceContext } from './trace-context.js';
export { SpanKind, type Span } from '@opentelemetry/api';
