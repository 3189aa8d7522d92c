import { Inject, Injectable } from '@nestjs/common';
import { AgentRegistryService } from '@baton/agents';
import { OrchestrationCheckpointService } from '@baton/approvals';
import { OrchestrationDefinitionService } from '@baton/definitions';
import { ExternalEventsService, InboxService, MessagingService } from '@baton/messaging';
import { OrchestrationRunFactoryService, RunControlService, RunQueryService } from '@baton/runs';
import { ScheduleService } from '@baton/scheduler';
import { approvalTools } from './tools/approval-tools.js';
import { catalogTools } from './tools/catalog-tools.js';
import type { McpTool } from './tools/mcp-tool.js';
import { messageTools } from './tools/message-tools.js';
import { runTools } from './tools/run-tools.js';
import { scheduleTools } from './tools/schedule-tools.js';

/** Every MCP tool Baton offers, built once over the services the REST routes use. */
@Injectable()
export class McpToolbox {
  readonly tools: readonly McpTool[];
  private readonly byName: ReadonlyMap<string, McpTool>;

  constructor(
    @Inject(OrchestrationRunFactoryService) factory: OrchestrationRunFactoryService,
    @Inject(RunQueryService) query: RunQueryService,
    @Inject(RunControlService) control: RunControlService,
    @Inject(OrchestrationCheckpointService) checkpoints: OrchestrationCheckpointService,
    @Inject(OrchestrationDefinitionService) definitions: OrchestrationDefinitionService,
    @Inject(AgentRegistryService) agents: AgentRegistryService,
    @Inject(ScheduleService) schedules: ScheduleService,
    @Inject(MessagingService) messaging: MessagingService,
    @Inject(InboxService) inbox: InboxService,
    @Inject(ExternalEventsService) events: ExternalEventsService,
  ) {
    this.tools = [
      ...catalogTools(definitions, agents),
      ...runTools(factory, query, control),
      ...approvalTools(checkpoints),
      ...scheduleTools(schedules),
      ...messageTools(messaging, inbox, events),
    ];
    this.byName = new Map(this.tools.map((tool) => [tool.name, tool]));
  }

  find(name: string): McpTool | undefined {
    return this.byName.get(name);
  }
}
