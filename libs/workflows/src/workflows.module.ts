import { Module, type DynamicModule, type ModuleMetadata } from '@nestjs/common';
import { WorkflowsController } from './http/workflows.controller.js';
import { WorkflowRepository } from './workflow.repository.js';
import { WorkflowService } from './workflow.service.js';

/**
 * The seed's workflow language and API (issue 12). `imports` must provide the definitions
 * module (storage of the translated definition) and the runs module (executions are runs).
 */
@Module({})
export class WorkflowsModule {
  static register(options: { imports: ModuleMetadata['imports'] }): DynamicModule {
    return {
      module: WorkflowsModule,
      imports: [...(options.imports ?? [])],
      controllers: [WorkflowsController],
      providers: [WorkflowRepository, WorkflowService],
      exports: [WorkflowService],
    };
  }
}
