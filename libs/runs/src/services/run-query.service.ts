import { Inject, Injectable } from '@nestjs/common';
import { BatonError, decodeKeysetCursor, encodeKeysetCursor } from '@baton/common';
import type { Run, RunWithSteps } from '../domain/run.types.js';
import { RUN_STATUSES, type RunStatus } from '../domain/run-status.js';
import { RunLimitsRepository } from '../repositories/run-limits.repository.js';
import { RunRepository } from '../repositories/run.repository.js';
import { StepRepository } from '../repositories/step.repository.js';

export interface RunPage {
  runs: Run[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

/** Reads of runs and steps. */
@Injectable()
export class RunQueryService {
  constructor(
    @Inject(RunRepository) private readonly runs: RunRepository,
    @Inject(StepRepository) private readonly steps: StepRepository,
    @Inject(RunLimitsRepository) private readonly limits: RunLimitsRepository,
  ) {}

  /** The run with its steps, and its place in the admission queue while it waits there. */
  async get(id: string): Promise<RunWithSteps> {
    const run = await this.runs.findById(id);
    if (!run) throw BatonError.notFound('run', id);
    const queuePosition = run.admittedAt === null ? await this.limits.queuePosition(id) : null;
    return { ...run, queuePosition, steps: await this.steps.listByRun(id) };
  }

  async getRun(id: string): Promise<Run> {
    const run = await this.runs.findById(id);
    if (!run) throw BatonError.notFound('run', id);
    return run;
  }

  /** Outputs and statuses of named steps of a run: what a step's templates read. */
  upstreamOutputs(runId: string, keys: string[]): Promise<Map<string, { output: unknown; status: string }>> {
    return this.steps.outputs(runId, keys);
  }

  async list(filter: { status?: string; definition?: string; owner?: string; submittedBy?: string; contextId?: string; createdAfter?: string; createdBefore?: string; limit?: number; cursor?: string }): Promise<RunPage> {
    if (filter.status && !RUN_STATUSES.includes(filter.status as RunStatus)) {
      throw BatonError.validation([{ path: 'status', message: `must be one of ${RUN_STATUSES.join(', ')}` }]);
    }
    const limit = Math.min(Math.max(filter.limit ?? 50, 1), 500);
    const runs = await this.runs.list({
      status: filter.status as RunStatus | undefined,
      definitionName: filter.definition,
      owner: filter.owner,
      submittedBy: filter.submittedBy,
      contextId: filter.contextId,
      createdAfter: filter.createdAfter,
      createdBefore: filter.createdBefore,
      limit: limit + 1,
      before: filter.cursor ? decodeKeysetCursor(filter.cursor) : undefined,
    });
    const page = runs.slice(0, limit);
    const last = page[page.length - 1];
    return { runs: page, nextCursor: runs.length > limit && last ? encodeKeysetCursor(last) : null };
  }
}
