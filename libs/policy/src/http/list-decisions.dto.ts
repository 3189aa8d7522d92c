import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { ACTION_GROUPS } from '../policy-actions.js';

const ACTIONS = Object.keys(ACTION_GROUPS);

/** `GET /api/v1/policies/decisions?decision=deny&action=run.cancel&principal=…&limit=100`. */
export class ListDecisionsQueryDto {
  @IsOptional()
  @IsIn(['allow', 'deny'], { message: 'must be allow or deny' })
  decision?: 'allow' | 'deny';

  @IsOptional()
  @IsIn(ACTIONS, { message: 'must be a Baton action, e.g. run.cancel' })
  action?: string;

  /** A Cedar uid as logged, e.g. `Baton::Token::"<token id>"`. */
  @IsOptional()
  @IsString()
  @MaxLength(500)
  principal?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}
