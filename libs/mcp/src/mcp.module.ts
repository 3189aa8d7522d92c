import { Module, type DynamicModule, type ModuleMetadata } from '@nestjs/common';
import { AgentsModule } from '@baton/agents';
import { McpController } from './mcp.controller.js';
import { McpServerFactory } from './mcp-server.factory.js';
import { McpResources } from './mcp-resources.service.js';
import { McpToolbox } from './mcp-toolbox.service.js';

export interface McpModuleOptions {
  /** Must provide the runs, approvals, definitions, scheduler and messaging services (the app passes those modules). */
  imports: NonNullable<ModuleMetadata['imports']>;
}

/** The MCP door at `/mcp`: tools over the runs, approvals, definitions and agents services. */
@Module({})
export class McpModule {
  static register(options: McpModuleOptions): DynamicModule {
    return {
      module: McpModule,
      imports: [AgentsModule, ...options.imports],
      controllers: [McpController],
      providers: [McpToolbox, McpResources, McpServerFactory],
    };
  }
}
