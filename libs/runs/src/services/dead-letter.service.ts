import { Inject, Injectable } from '@nestjs/common';
import { BatonError, decodeKeysetCursor, encodeKeysetCursor } from '@baton/common';
import type { RunActor } from '../domain/run-actor.js';
import { STEP_STATUSES, type StepStatus } from '../domain/step-status.js';
import { DeadLetterRepository, type FailedRunFilter, type StepAcrossRuns } from '../repositories/dead-letter.repository.js';
import { RunControlService } from './run-control.service.js';

/** The outcome of one retry in a bulk retry: each item stands alone, one refusal stops nothing. */
export interface RetryOutcome {
  runId: string;
  stepId: string | null;
  retried: boolean;
  error?: { code: string; message: string };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Most items one bulk retry handles. */
export const MAX_BULK_RETRY = 500;

/**
 * Dead letters (issue 12): failed steps across runs, and retrying them in bulk, by list or by
 * filter. Each retry is `RunControlService.retryStep`, so the same checks and events apply as
 * for a single retry.
 */
@Injectable()
export class DeadLetterService {
  constructor(
    @Inject(DeadLetterRepository) private readonly deadLetters: DeadLetterRepository,
    @Inject(RunControlService) private readonly control: RunControlService,
  ) {}

  async listSteps(filter: {
    status?: string; definition?: string; owner?: string; errorCode?: string; limit?: number; cursor?: string;
  }): Promise<{ steps: StepAcrossRuns[]; nextCursor: string | null }> {
    const status = (filter.status ?? 'failed') as StepStatus;
    if (!STEP_STATUSES.includes(status)) {
      throw BatonError.validation([{ path: 'status', message: `must be one of ${STEP_STATUSES.join(', ')}` }]);
    }
    const limit = Math.min(Math.max(filter.limit ?? 50, 1), 500);
    const before = filter.cursor ? decodeKeysetCursor(filter.cursor) : undefined;
    // The cursor's id is cast to uuid in SQL: a forged one must be a 400, not a database error.
    if (before && !UUID.test(before.id)) throw BatonError.validation([{ path: 'cursor', message: 'is not a cursor returned by this API' }]);
    const steps = await this.deadLetters.listSteps({
      status,
      definitionName: filter.definition,
      owner: filter.owner,
      errorCode: filter.errorCode,
      before,
      limit: limit + 1,
    });
    const page = steps.slice(0, limit);
    const last = page[page.length - 1];
    return { steps: page, nextCursor: steps.length > limit && last ? encodeKeysetCursor({ createdAt: last.updatedAt, id: last.id }) : null };
  }

  /** Retries each listed step; `owner` (a bound token's) limits it to that owner's runs. */
  async retrySteps(items: Array<{ runId: string; stepId: string }>, actor: RunActor, owner?: string): Promise<RetryOutcome[]> {
    const outcomes: RetryOutcome[] = [];
    for (const item of items.slice(0, MAX_BULK_RETRY)) outcomes.push(await this.retryOne(item.runId, item.stepId, actor, owner));
    return outcomes;
  }

  /** Retries the failed runs that match `filter`, oldest first, at most `filter.limit`. */
  async retryRuns(filter: FailedRunFilter, actor: RunActor): Promise<RetryOutcome[]> {
    const runs = await this.deadLetters.failedRuns({ ...filter, limit: Math.min(filter.limit, MAX_BULK_RETRY) });
    const outcomes: RetryOutcome[] = [];
    for (const run of runs) {
      if (!run.stepKey) {
        outcomes.push({ runId: run.runId, stepId: null, retried: false, error: { code: 'invalid_state', message: 'the run has no failed step to retry' } });
        continue;
      }
      outcomes.push(await this.retryOne(run.runId, run.stepKey, actor, filter.owner));
    }
    return outcomes;
  }

  private async retryOne(runId: string, stepId: string, actor: RunActor, owner?: string): Promise<RetryOutcome> {
    try {
      // A token bound to an owner does not see other owners' runs: they do not exist for it.
      if (owner !== undefined && (await this.deadLetters.ownerOf(runId)) !== owner) throw BatonError.notFound('run', runId);
      await this.control.retryStep(runId, stepId, actor);
      return { runId, stepId, retried: true };
    } catch (error) {
      if (!(error instanceof BatonError)) throw error;
      return { runId, stepId, retried: false, error: { code: error.kind, message: error.message } };
    }
  }
}
