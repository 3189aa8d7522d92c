import { Module, type DynamicModule, type ModuleMetadata } from '@nestjs/common';
import { EventsModule } from '@baton/events';
import { WorkflowsController } from './http/workflows.controller.js';
import { WorkflowCapacityController } from './http/workflow-capacity.controller.js';
import { TaskAssignmentRepository } from './task-assignment.repository.js';
import { WorkflowEventsConsumer } from './workflow-events.consumer.js';
import { WorkflowRepository } from './workflow.repository.js';
import { WorkflowService } from './workflow.service.js';
import { WorkflowSocketServer } from './ws/workflow-socket.server.js';

/**
 * The seed's workflow language and API (issue 12). `imports` must provide the definitions
 * module (storage of the translated definition) and the runs module (executions are runs).
 */
@Module({})
export class WorkflowsModule {
  static register(options: { imports: ModuleMetadata['imports'] }): DynamicModule {
    return {
      module: WorkflowsModule,
      imports: [EventsModule, ...(options.imports ?? [])],
      controllers: [WorkflowsController, WorkflowCapacityController],
      providers: [WorkflowRepository, TaskAssignmentRepository, WorkflowService, WorkflowEventsConsumer, WorkflowSocketServer],
      exports: [WorkflowService, WorkflowEventsConsumer],
    };
  }
}
