import { Module, type DynamicModule } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { BatonConfig, ConfigModule } from '@baton/common';
import { Database, DbModule } from '@baton/db';
import { A2aModule } from '@baton/a2a';
import { AgentsModule } from '@baton/agents';
import { ApprovalsModule } from '@baton/approvals';
import { DefinitionsModule } from '@baton/definitions';
import { EventsModule } from '@baton/events';
import { ExecutionModule } from '@baton/execution';
import { OpsModule } from '@baton/ops';
import { IdentityModule } from '@baton/identity';
import { MetricsModule } from '@baton/metrics';
import { McpModule } from '@baton/mcp';
import { NodesModule } from '@baton/nodes';
import { PolicyModule } from '@baton/policy';
import { MessagingModule } from '@baton/messaging';
import { RunsModule } from '@baton/runs';
import { SchedulerModule } from '@baton/scheduler';
import { TelemetryModule } from '@baton/telemetry';
import { WebhooksModule } from '@baton/webhooks';
import { WorkflowsModule } from '@baton/workflows';
import { SessionsModule } from '@baton/sessions';
import { BootstrapFileService } from './bootstrap/bootstrap-file.service.js';
import { DashboardController } from './dashboard/dashboard.controller.js';
import { BreakerMetrics } from './wiring/breaker-metrics.js';
import { ExampleSeeder } from './wiring/example-seeder.js';
import { RegistryAgentCatalog } from './wiring/registry-agent-catalog.js';
import { LandingController } from './docs/landing.controller.js';
import { ConnectionDrain } from './http/connection-drain.js';

export interface AppOptions {
  config?: BatonConfig;
  /** An open database to use instead of the configured one (tests, a second instance). */
  database?: Database;
}

/**
 * The API server: feature modules wired together, nothing else. Libraries never import a
 * library on their own floor, so the app hands each one the modules it needs.
 */
@Module({})
export class AppModule {
  static register(options: AppOptions = {}): DynamicModule {
    const definitions = DefinitionsModule.register({ imports: [AgentsModule], agentCatalog: RegistryAgentCatalog });
    const runs = RunsModule.register({ imports: [definitions] });
    const approvals = ApprovalsModule.register({ imports: [runs] });
    const scheduler = SchedulerModule.register({ imports: [runs] });
    // The agent bus (issue 14): wait steps and triggers need runs and definitions; who may
    // send what is the Cedar policy set (its default `CedarMessagePolicy`, issue 13).
    const messaging = MessagingModule.register({ imports: [runs, definitions] });
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(options.config ?? new BatonConfig()),
        options.database ? DbModule.forDatabase(options.database) : DbModule.forRoot(),
        EventEmitterModule.forRoot({ wildcard: true, delimiter: '.' }),
        // Traces (issue 13): global, a no-op unless OTEL_EXPORTER_OTLP_ENDPOINT is set.
        TelemetryModule,
        OpsModule,
        IdentityModule,
        // The bootstrap file activates policy sets (IdentityModule imports the same module).
        PolicyModule,
        MetricsModule,
        AgentsModule,
        EventsModule,
        WebhooksModule,
        definitions,
        runs,
        approvals,
        ExecutionModule.register({ imports: [runs, definitions, AgentsModule, approvals, messaging] }),
        A2aModule.register({ imports: [runs, approvals, definitions] }),
        McpModule.register({ imports: [runs, approvals, definitions, scheduler, messaging] }),
        NodesModule.register({ imports: [runs] }),
        scheduler,
        messaging,
        // The seed's workflow language and API (issue 12): translated onto definitions and runs.
        WorkflowsModule.register({ imports: [definitions, runs] }),
        // Sessions (issue 13): runs under a caller's id; `signal` satisfies a wait step through messaging.
        SessionsModule.register({ imports: [runs, messaging] }),
      ],
      controllers: [DashboardController, LandingController],
      providers: [ExampleSeeder, BootstrapFileService, BreakerMetrics, ConnectionDrain],
    };
  }
}
