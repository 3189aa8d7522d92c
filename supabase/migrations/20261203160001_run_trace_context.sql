-- Issue 13 (OpenTelemetry traces): a run outlives the request that created it and may be
-- executed by any instance, hours later, after crashes. Its trace context is therefore kept
-- on the row: the trace id, the run span's own id (chosen at creation, the span itself is
-- emitted when the run ends), the caller's span it continues and the W3C flags and
-- tracestate. Every step, turn, agent call and approval wait span names these stored ids as
-- its parent, whichever process emits it. Null when tracing was off at creation.
alter table orchestration_runs add column trace_context jsonb;
