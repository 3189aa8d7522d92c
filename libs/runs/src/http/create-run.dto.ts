import { PageQueryDto } from '@baton/common';
import { Transform, Type } from 'class-transformer';
import { IsDefined, IsISO8601, IsInt, IsObject, IsOptional, IsString, Length, Matches, Max, Min, ValidateNested } from 'class-validator';

/** A run deadline of at most a year: beyond that it is a typo, and it must fit an int. */
const MAX_RUN_TIMEOUT_SECONDS = 366 * 24 * 3600;

export class DefinitionRefDto {
  @IsString()
  @Length(1, 200)
  name!: string;

  /** A version string or number; latest when absent. */
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'number' ? String(value) : value))
  @Matches(/^[^\s]{1,100}$/, { message: 'must be a version string or number' })
  version?: string;

  @IsOptional()
  @IsString()
  owner?: string;
}

/** `POST /api/v1/runs`: a saved definition reference or an inline plan, plus input. */
export class CreateRunDto {
  @IsOptional()
  @ValidateNested()
  @Type(() => DefinitionRefDto)
  definition?: DefinitionRefDto;

  @IsOptional()
  @IsObject()
  plan?: Record<string, unknown>;

  @IsOptional()
  @IsDefined()
  input?: unknown;

  @IsOptional()
  @IsString()
  @Length(1, 200)
  idempotencyKey?: string;

  @IsOptional()
  @IsObject()
  metadata?: Record<string, unknown>;

  /**
   * Budget for the run tree (issue 9): `{ max_steps, max_turns, max_tokens, max_cost,
   * max_wall_seconds, on_exceed }`, over the definition's. Checked by the run factory, which
   * names each bad field (`budget.max_tokens`).
   */
  @IsOptional()
  @IsObject()
  budget?: Record<string, unknown>;

  /** Start later (an ISO 8601 date-time with an offset): the run is a one-off schedule until then. */
  @IsOptional()
  @Matches(/^\d{4}-\d{2}-\d{2}T[^\s]*(Z|[+-]\d{2}:?\d{2})$/, { message: 'must be an ISO 8601 date-time with an offset' })
  startAt?: string;

  /** The run's deadline in seconds from now (issue 12); overrides the definition's `orchestration.timeout_seconds`. */
  @IsOptional()
  @IsInt({ message: 'timeout_seconds must be a positive integer' })
  @Min(1, { message: 'timeout_seconds must be a positive integer' })
  @Max(MAX_RUN_TIMEOUT_SECONDS, { message: `timeout_seconds must be at most ${MAX_RUN_TIMEOUT_SECONDS} (one year)` })
  timeout_seconds?: number;
}

export class ListRunsQueryDto extends PageQueryDto {
  @IsOptional()
  @IsString()
  status?: string;

  @IsOptional()
  @IsString()
  definition?: string;

  @IsOptional()
  @IsString()
  owner?: string;

  /** Only runs created at or after this instant (ISO 8601). */
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'createdAfter must be an ISO 8601 date-time' })
  createdAfter?: string;

  /** Only runs created before this instant (ISO 8601). */
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'createdBefore must be an ISO 8601 date-time' })
  createdBefore?: string;
}
