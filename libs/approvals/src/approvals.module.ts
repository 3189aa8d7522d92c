import { Module, type DynamicModule, type ModuleMetadata } from '@nestjs/common';
import { EventsModule } from '@baton/events';
import { PolicyModule } from '@baton/policy';
import { ApprovalAccess } from './approval-access.js';
import { ApprovalDeadlinesService } from './approval-deadlines.service.js';
import { ApprovalDecisionRepository } from './approval-decision.repository.js';
import { ApprovalRepository } from './approval.repository.js';
import { OrchestrationCheckpointService } from './checkpoint.service.js';
import { CompensationApprovalsService } from './compensation-approvals.service.js';
import { ApprovalsController } from './http/approvals.controller.js';

/** Human checkpoints. `imports` must provide the runs module (the app passes it). */
@Module({})
export class ApprovalsModule {
  static register(options: { imports: ModuleMetadata['imports'] }): DynamicModule {
    return {
      module: ApprovalsModule,
      imports: [EventsModule, PolicyModule, ...(options.imports ?? [])],
      controllers: [ApprovalsController],
      providers: [ApprovalRepository, ApprovalDecisionRepository, ApprovalAccess, OrchestrationCheckpointService, ApprovalDeadlinesService, CompensationApprovalsService],
      exports: [OrchestrationCheckpointService],
    };
  }
}
