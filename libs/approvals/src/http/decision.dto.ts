import { IsDefined, IsIn, IsInt, IsOptional, IsString, IsUUID, Length, Max, Min } from 'class-validator';
import { Type } from 'class-transformer';

/** `POST /api/v1/approvals/:id/decision`. */
export class DecisionDto {
  @IsIn(['approve', 'reject'])
  decision!: 'approve' | 'reject';

  @IsOptional()
  @IsString()
  @Length(0, 10_000)
  comment?: string;

  /** A replacement payload (approve only, when the checkpoint allows editing). */
  @IsOptional()
  @IsDefined()
  payload?: unknown;
}

export class ListApprovalsQueryDto {
  @IsOptional()
  @IsIn(['pending', 'approved', 'rejected', 'expired', 'cancelled'])
  status?: 'pending' | 'approved' | 'rejected' | 'expired' | 'cancelled';

  @IsOptional()
  @IsUUID()
  runId?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;

  @IsOptional()
  @IsString()
  cursor?: string;
}
