import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsOptional, IsString, Matches, MaxLength, ValidateBy, ValidateNested } from 'class-validator';
import { ACTION_GROUPS } from '../policy-actions.js';

const ACTIONS = Object.keys(ACTION_GROUPS);
const PRINCIPAL_TYPES = ['Token', 'Person', 'Agent'];
const RESOURCE_TYPES = ['Route', 'Hub', 'Definition', 'Run', 'Approval', 'Webhook', 'Schedule', 'MessageType', 'Policy', 'Agent'];

/** A flat object of Cedar values: strings, integers, booleans, lists of strings (at most 50 keys). */
function isPolicyValues(value: unknown): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const entries = Object.entries(value);
  return entries.length <= 50 && entries.every(([key, v]) => key.length <= 100 && isPolicyValue(v));
}

function isPolicyValue(value: unknown): boolean {
  if (typeof value === 'string') return value.length <= 1000;
  if (typeof value === 'number') return Number.isSafeInteger(value);
  if (typeof value === 'boolean') return true;
  return Array.isArray(value) && value.length <= 100 && value.every((item) => typeof item === 'string' && item.length <= 1000);
}

const PolicyValues = () =>
  ValidateBy({
    name: 'policyValues',
    validator: {
      validate: isPolicyValues,
      defaultMessage: () => 'must be an object of strings, integers, booleans or lists of strings (at most 50 keys)',
    },
  });

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

  /** An `Agent` principal's capabilities (step.dispatch). */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(200, { each: true })
  capabilities?: string[];
}

export class EvaluateResourceDto {
  @IsIn(RESOURCE_TYPES, { message: `must be one of ${RESOURCE_TYPES.join(', ')}` })
  type!: string;

  @IsString()
  @MaxLength(500)
  id!: string;

  /** The resource's attributes, e.g. a Run's `{ "owner": "acme" }` or a Definition's `{ name, version, owner }`. */
  @IsOptional()
  @PolicyValues()
  attrs?: Record<string, string | number | boolean | string[]>;
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

  /** The action's context, e.g. step.dispatch's `{ runId, stepId, stepType, capability, runOwner }`. */
  @IsOptional()
  @PolicyValues()
  context?: Record<string, string | number | boolean | string[]>;

  /** A stored version number or `default`; the active set when absent. */
  @IsOptional()
  @Matches(/^(default|[1-9][0-9]{0,15})$/, { message: 'must be a version number or "default"' })
  version?: string;
}
