import { PageQueryDto } from '@baton/common';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsISO8601, IsInt, IsOptional, IsString, IsUUID, Length, Max, Min, ValidateNested } from 'class-validator';
import { STEP_STATUSES } from '../domain/step-status.js';

/** `GET /api/v1/steps`: steps across runs; `status` defaults to `failed` (the dead letters). */
export class ListStepsQueryDto extends PageQueryDto {
  @IsOptional()
  @IsIn(STEP_STATUSES, { message: `status must be one of ${STEP_STATUSES.join(', ')}` })
  status?: string;

  @IsOptional()
  @IsString()
  @Length(1, 200)
  definition?: string;

  /** Only steps whose `error.code` is this (`agent_unavailable`, `timeout`, ...). */
  @IsOptional()
  @IsString()
  @Length(1, 100)
  errorCode?: string;
}

export class StepRefDto {
  @IsUUID('all', { message: 'runId must be a UUID' })
  runId!: string;

  /** The step's id in the definition (its key). */
  @IsString()
  @Length(1, 200)
  stepId!: string;
}

/** `POST /api/v1/steps/retry`: retries the listed failed steps, each on its own. */
export class RetryStepsDto {
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(500)
  @ValidateNested({ each: true })
  @Type(() => StepRefDto)
  steps!: StepRefDto[];
}

/** `POST /api/v1/runs/retry`: retries the failed runs that match, oldest first. */
export class RetryRunsDto {
  /** Required, and only `failed`: an empty body must not retry every failed run by accident. */
  @IsIn(['failed'], { message: 'status must be "failed": only failed runs can be retried' })
  status!: string;

  @IsOptional()
  @IsString()
  @Length(1, 200)
  definition?: string;

  @IsOptional()
  @IsString()
  @Length(1, 100)
  errorCode?: string;

  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'createdAfter must be an ISO 8601 date-time' })
  createdAfter?: string;

  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'createdBefore must be an ISO 8601 date-time' })
  createdBefore?: string;

  @IsOptional()
  @IsInt({ message: 'limit must be an integer between 1 and 500' })
  @Min(1, { message: 'limit must be an integer between 1 and 500' })
  @Max(500, { message: 'limit must be an integer between 1 and 500' })
  limit?: number;
}
