import { Module, type DynamicModule, type ModuleMetadata } from '@nestjs/common';
import { EventsModule } from '@baton/events';
import { ApprovalDeadlinesService } from './approval-deadlines.service.js';
import { ApprovalRepository } from './approval.repository.js';
import { OrchestrationCheckpointService } from './checkpoint.service.js';
import { ApprovalsController } from './http/approvals.controller.js';

/** Human checkpoints. `imports` must provide the runs module (the app passes it). */
@Module({})
export class ApprovalsModule {
  static register(options: { imports: ModuleMetadata['imports'] }): DynamicModule {
    return {
      module: ApprovalsModule,
      imports: [EventsModule, ...(options.imports ?? [])],
      controllers: [ApprovalsController],
      providers: [ApprovalRepository, OrchestrationCheckpointService, ApprovalDeadlinesService],
      exports: [OrchestrationCheckpointService],
    };
  }
}
