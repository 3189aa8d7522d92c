import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsOptional, IsString, Matches, MaxLength, ValidateNested } from 'class-validator';
import { ACTION_GROUPS } from '../policy-actions.js';

const ACTIONS = Object.keys(ACTION_GROUPS);
const PRINCIPAL_TYPES = ['Token', 'Person', 'Agent'];
const RESOURCE_TYPES = ['Route', 'Hub', 'Definition', 'Run', 'Approval', 'Webhook', 'Schedule', 'MessageType', 'Policy', 'Agent'];

export class EvaluatePrincipalDto {
  @IsOptional()
  @IsIn(PRINCIPAL_TYPES, { message: `must be one of ${PRINCIPAL_TYPES.join(', ')}` })
  type?: 'Token' | 'Person' | 'Agent';

  @IsString()
  @MaxLength(200)
  name!: string;

  @IsString()
  @MaxLength(100)
  role!: string;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(200, { each: true })
  groups?: string[];

  @IsOptional()
  @IsString()
  @MaxLength(200)
  owner?: string;
}

export class EvaluateResourceDto {
  @IsIn(RESOURCE_TYPES, { message: `must be one of ${RESOURCE_TYPES.join(', ')}` })
  type!: string;

  @IsString()
  @MaxLength(500)
  id!: string;
}

/** "Would this be allowed, and why?" — evaluated, never performed. */
export class EvaluatePolicyDto {
  @ValidateNested()
  @Type(() => EvaluatePrincipalDto)
  principal!: EvaluatePrincipalDto;

  @IsIn(ACTIONS, { message: `must be one of ${ACTIONS.join(', ')}` })
  action!: keyof typeof ACTION_GROUPS;

  @ValidateNested()
  @Type(() => EvaluateResourceDto)
  resource!: EvaluateResourceDto;

  /** A stored version number or `default`; the active set when absent. */
  @IsOptional()
  @Matches(/^(default|[1-9][0-9]{0,15})$/, { message: 'must be a version number or "default"' })
  version?: string;
}
