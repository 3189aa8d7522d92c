import { Type } from 'class-transformer';
import { IsArray, IsBoolean, IsDefined, IsIn, IsInt, IsObject, IsOptional, IsString, IsUUID, Length, Max, Min, ValidateNested } from 'class-validator';

/** `POST /api/v1/nodes/register`: the node's capability report. Snake case: the node protocol's wire format. */
export class RegisterNodeDto {
  @IsString()
  @Length(1, 128)
  name!: string;

  /** The `worker` agents (by name) whose jobs the node runs. */
  @IsArray()
  @IsString({ each: true })
  @Length(1, 128, { each: true })
  capabilities!: string[];

  @IsOptional()
  @IsObject()
  labels?: Record<string, string>;

  @IsOptional()
  @IsObject()
  resources?: Record<string, unknown>;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  max_concurrent_jobs?: number;
}

export class AckConfigDto {
  @IsInt()
  @Min(1)
  version!: number;

  @IsIn(['applied', 'failed'])
  status!: 'applied' | 'failed';

  @IsOptional()
  @IsString()
  @Length(0, 10_000)
  error?: string;
}

export class ClaimDto {
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(60)
  wait_seconds?: number;
}

export class CompleteJobDto {
  @IsUUID()
  lease_token!: string;

  @IsOptional()
  @IsDefined()
  output?: unknown;
}

export class JobErrorDto {
  @IsString()
  @Length(1, 10_000)
  message!: string;

  @IsOptional()
  @IsBoolean()
  retryable?: boolean;
}

export class FailJobDto {
  @IsUUID()
  lease_token!: string;

  @ValidateNested()
  @Type(() => JobErrorDto)
  error!: JobErrorDto;
}

/** `PUT /api/v1/nodes/:id/config` (operators). */
export class NodeConfigDto {
  @IsObject()
  config!: Record<string, unknown>;
}
