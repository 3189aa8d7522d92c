import { Controller, Get, Inject } from '@nestjs/common';
import { BatonConfig } from '@baton/common';
import { RunLimitsService } from '@baton/runs';

/**
 * `GET /api/v1/workflow-capacity` (and the bare `/workflow-capacity` the issue names): the seed's capacity view over Baton's admission
 * (MAX_CONCURRENT_WORKFLOWS): slots for top-level runs, the queue waiting for one, and whether
 * a new execution would start now or wait.
 */
@Controller(['api/v1/workflow-capacity', 'workflow-capacity'])
export class WorkflowCapacityController {
  constructor(
    @Inject(RunLimitsService) private readonly limits: RunLimitsService,
    @Inject(BatonConfig) private readonly config: BatonConfig,
  ) {}

  @Get()
  async capacity() {
    const { active, queued } = await this.limits.admissionCounts();
    const max = this.config.maxConcurrentWorkflows ?? null;
    const available = max === null ? null : Math.max(0, max - active);
    // `queueing`: a new execution waits `pending` (FIFO) behind the queue for a slot.
    const admission = max === null ? 'unlimited' : available! > 0 && queued === 0 ? 'open' : 'queueing';
    return {
      slots: { total: max, in_use: active, available },
      queue_depth: queued,
      admission,
      // Steps this instance runs at once (BATON_WORKER_CONCURRENCY); each instance has its own.
      worker_concurrency: this.config.workerConcurrency,
    };
  }
}
