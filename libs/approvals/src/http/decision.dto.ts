import { PageQueryDto } from '@baton/common';
import { IsDefined, IsIn, IsOptional, IsString, IsUUID, Length } from 'class-validator';

/** `POST /api/v1/approvals/:id/decision`. */
export class DecisionDto {
  /** `retry` / `give_up`: the same as approve / reject, for a `compensation` approval only. */
  @IsIn(['approve', 'reject', 'retry', 'give_up'])
  decision!: 'approve' | 'reject' | 'retry' | 'give_up';

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
