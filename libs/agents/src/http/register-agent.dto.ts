import { IsArray, IsIn, IsInt, IsNotEmpty, IsObject, IsOptional, IsString, Min } from 'class-validator';

/**
 * `POST /api/v1/agents`. The DTO checks the shape; `validateRegistration` applies the rules
 * (url required by kind, reserved names, each capability), so other callers get them too.
 * Capabilities are only checked as an array here so that a bad element is reported by its
 * index (`capabilities[1]`), which class-validator's `each` option cannot do.
 */
export class RegisterAgentDto {
  @IsString()
  @IsNotEmpty()
  name!: string;

  // `builtin` passes here so the rules can explain why it cannot be registered.
  @IsIn(['http', 'a2a', 'builtin', 'worker'], { message: 'kind must be one of: http, a2a, worker' })
  kind!: string;

  @IsOptional()
  @IsString()
  url?: string;

  @IsOptional()
  @IsArray()
  capabilities?: unknown[];

  @IsOptional()
  @IsInt()
  @Min(1)
  maxConcurrency?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  timeoutSeconds?: number;

  @IsOptional()
  @IsObject()
  headers?: Record<string, unknown>;

  /** Checked element by element in `validateRegistration`, like `capabilities`. */
  @IsOptional()
  @IsArray()
  trustedOrigins?: unknown[];

  /** `{ failure_threshold, reset_seconds, half_open_max_calls }`, checked field by field in `validateRegistration`. */
  @IsOptional()
  @IsObject()
  breaker?: Record<string, unknown>;
}

/** `GET /api/v1/agents?capability=`. */
export class ListAgentsQueryDto {
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  capability?: string;
}
