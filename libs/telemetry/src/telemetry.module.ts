import { Global, Module } from '@nestjs/common';
import { TelemetryService } from './telemetry.service.js';

/**
 * Traces (issue 13). Global like the config and database modules: the run factory, the step
 * executor, the agent clients and the A2A gateway all take part in one trace.
 */
@Global()
@Module({
  providers: [TelemetryService],
  exports: [TelemetryService],
})
export class TelemetryModule {}
