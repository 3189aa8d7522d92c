import { RandomIdGenerator, type IdGenerator } from '@opentelemetry/sdk-trace-base';

/**
 * Random ids, except for the one span whose ids were chosen earlier: a run span is emitted
 * when the run ends, but its id was fixed (and stored) when the run was created, because its
 * steps' spans name it as their parent meanwhile. The SDK offers no other way to give a span
 * an id than its provider's id generator.
 *
 * `startSpan` is synchronous, so setting `chosen` just before it and clearing it just after
 * (`TelemetryService.emitWithIds`) cannot hand the ids to any other span.
 */
export class ChosenIdGenerator implements IdGenerator {
  private readonly random = new RandomIdGenerator();
  chosen: { traceId?: string; spanId?: string } | null = null;

  generateTraceId(): string {
    const id = this.chosen?.traceId;
    if (id) {
      this.chosen!.traceId = undefined;
      return id;
    }
    return this.random.generateTraceId();
  }

  generateSpanId(): string {
    const id = this.chosen?.spanId;
    if (id) {
      this.chosen!.spanId = undefined;
      return id;
    }
    return this.random.generateSpanId();
  }

  /** A random id of each kind, for contexts stored before their span exists. */
  newTraceId(): string {
    return this.random.generateTraceId();
  }

  newSpanId(): string {
    return this.random.generateSpanId();
  }
}
