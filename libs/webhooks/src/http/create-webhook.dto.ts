import { Type } from 'class-transformer';
import { IsArray, IsBoolean, IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateIf } from 'class-validator';
import { DELIVERY_STATUSES } from '../webhook.types.js';

/**
 * Optional, but not nullable: `IsOptional` would let `null` through to the service
 * (`secret: null` was a 500). Absent skips the checks; null fails them, naming the field.
 */
const IsAbsentOr = (): PropertyDecorator => ValidateIf((_object, value) => value !== undefined);

/**
 * `POST /api/v1/webhooks`. The DTO checks the shape; the service checks the URL and each
 * event pattern, so that a bad element is reported by its index (`events[1]`).
 */
export class CreateWebhookDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(2048)
  url!: string;

  @IsAbsentOr()
  @IsArray()
  events?: unknown[];

  @IsAbsentOr()
  @IsString()
  secret?: string;

  @IsAbsentOr()
  @IsString()
  @MaxLength(500)
  description?: string;

  @IsAbsentOr()
  @IsBoolean()
  active?: boolean;

  /** Only events of this run (checked to be a UUID by the service). */
  @IsAbsentOr()
  @IsString()
  runId?: string;

  /**
   * Tenancy: only this owner's runs' events; only its tokens see the subscription. A token
   * bound to an owner gets its own (another is a 403); absent from an all-owner token: hub-wide.
   */
  @IsAbsentOr()
  @IsString()
  @MaxLength(200)
  owner?: string;

  /** `baton` (default) or a registered renderer's format; checked by the service. */
  @IsAbsentOr()
  @IsString()
  @MaxLength(40)
  format?: string;
}

/** `GET /api/v1/webhooks/:id/deliveries?status=&limit=&cursor=`. */
export class ListDeliveriesQueryDto {
  @IsOptional()
  @IsIn([...DELIVERY_STATUSES], { message: `status must be one of: ${DELIVERY_STATUSES.join(', ')}` })
  status?: (typeof DELIVERY_STATUSES)[number];

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;

  /** `nextCursor` of the previous page. */
  @IsOptional()
  @Matches(/^\d{1,18}$/, { message: 'cursor must be the nextCursor of a previous page' })
  cursor?: string;
}
