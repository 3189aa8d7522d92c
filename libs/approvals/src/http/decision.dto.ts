import { PageQueryDto } from '@baton/common';
import { IsDefined, IsIn, IsOptional, IsString, IsUUID, Length } from 'class-validator';

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

export class ListApprovalsQueryDto extends PageQueryDto {
  @IsOptional()
  @IsIn(['pending', 'approved', 'rejected', 'expired', 'cancelled'])
  status?: 'pending' | 'approved' | 'rejected' | 'expired' | 'cancelled';

  @IsOptional()
  @IsUUID()
  runId?: string;

}
