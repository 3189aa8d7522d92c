import { Transform, Type } from 'class-transformer';
import { IsDefined, IsInt, IsObject, IsOptional, IsString, Length, Matches, Max, Min, ValidateNested } from 'class-validator';
import { DefinitionRefDto } from '@baton/runs';
import { SESSION_ID } from '../session.types.js';

/** A run's definition reference (name, version), with the owner bounded: it is the session's owner. */
export class SessionDefinitionDto extends DefinitionRefDto {
  /** The definition's owner: the session's owner (a bound token's own, or any for others). */
  @IsOptional()
  @IsString()
  @Length(0, 200)
  declare owner?: string;
}

/** `POST /api/v1/sessions`: like a run (a definition or a plan, input, budget) plus an id and metadata. */
export class StartSessionDto {
  @IsOptional()
  @Matches(SESSION_ID, { message: 'id must be 1-200 characters: letters, digits, ".", "_", ":" or "-", starting with a letter or digit' })
  id?: string;

  @IsOptional()
  @ValidateNested()
  @Type(() => SessionDefinitionDto)
  definition?: SessionDefinitionDto;

  @IsOptional()
  @IsObject()
  plan?: Record<string, unknown>;

  @IsOptional()
  @IsDefined()
  input?: unknown;

  @IsOptional()
  @IsObject()
  metadata?: Record<string, unknown>;

  @IsOptional()
  @IsObject()
  budget?: Record<string, unknown>;

  @IsOptional()
  @IsInt({ message: 'timeout_seconds must be a positive integer' })
  @Min(1, { message: 'timeout_seconds must be a positive integer' })
  @Max(366 * 24 * 3600, { message: 'timeout_seconds must be at most one year' })
  timeout_seconds?: number;
}
