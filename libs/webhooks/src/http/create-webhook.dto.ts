import { Type } from 'class-transformer';
import { IsArray, IsBoolean, IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { DELIVERY_STATUSES } from '../webhook.types.js';

/**
 * `POST /api/v1/webhooks`. The DTO checks the shape; the service checks the URL and each
 * event pattern, so that a bad element is reported by its index (`events[1]`).
 */
export class CreateWebhookDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(2048)
  url!: string;

  @IsOptional()
  @IsArray()
  events?: unknown[];

  @IsOptional()
  @IsString()
  secret?: string;

  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string;

  @IsOptional()
  @IsBoolean()
  active?: boolean;

  /** Only events of this run (checked to be a UUID by the service). */
  @IsOptional()
  @IsString()
  runId?: string;

  /** `baton` (default) or a registered renderer's format; checked by the service. */
  @IsOptional()
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
