import { Body, Controller, Get, HttpCode, HttpStatus, Inject, Post, Query, Req } from '@nestjs/common';
import type { Request } from 'express';
import type { StepAcrossRuns } from '../repositories/dead-letter.repository.js';
import { DeadLetterService, type RetryOutcome } from '../services/dead-letter.service.js';
import { ListStepsQueryDto, RetryRunsDto, RetryStepsDto } from './dead-letters.dto.js';
import { boundOwnerOf } from '@baton/common';
import { actorOf } from './runs.controller.js';

/** Dead letters (issue 12): failed steps across runs, bulk retry, retry by filter. */
@Controller('api/v1')
export class DeadLettersController {
  constructor(@Inject(DeadLetterService) private readonly deadLetters: DeadLetterService) {}

  @Get('steps')
  async list(@Query() query: ListStepsQueryDto, @Req() request: Request) {
    const page = await this.deadLetters.listSteps({ ...query, owner: boundOwnerOf(request) });
    return { steps: page.steps.map(presentStepAcrossRuns), nextCursor: page.nextCursor };
  }

  @Post('steps/retry')
  @HttpCode(HttpStatus.OK)
  async retrySteps(@Body() body: RetryStepsDto, @Req() request: Request) {
    return summary(await this.deadLetters.retrySteps(body.steps, actorOf(request), boundOwnerOf(request)));
  }

  @Post('runs/retry')
  @HttpCode(HttpStatus.OK)
  async retryRuns(@Body() body: RetryRunsDto, @Req() request: Request) {
    const outcomes = await this.deadLetters.retryRuns(
      {
        definitionName: body.definition,
        owner: boundOwnerOf(request),
        errorCode: body.errorCode,
        createdAfter: body.createdAfter,
        createdBefore: body.createdBefore,
        limit: body.limit ?? 100,
      },
      actorOf(request),
    );
    return summary(outcomes);
  }
}

function summary(outcomes: RetryOutcome[]) {
  return { retried: outcomes.filter((o) => o.retried).length, results: outcomes };
}

function presentStepAcrossRuns(step: StepAcrossRuns) {
  return {
    runId: step.runId,
    id: step.key,
    stepId: step.id,
    status: step.status,
    definition: step.definitionName,
    owner: step.owner,
    agent: step.agent,
    capability: step.capability,
    served_by: step.servedBy,
    attempt: step.attempt,
    error: step.error,
    updatedAt: step.updatedAt,
    finishedAt: step.finishedAt,
  };
}
