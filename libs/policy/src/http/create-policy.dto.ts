import { IsBoolean, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';

/** 256 KB of Cedar is far more than any hand-written policy set; the line diff stays cheap. */
export const MAX_POLICY_LENGTH = 256 * 1024;

export class CreatePolicyDto {
  /** The policy set in Cedar's text syntax. */
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_POLICY_LENGTH)
  policy!: string;

  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string;

  /** Activate the stored version at once. */
  @IsOptional()
  @IsBoolean()
  activate?: boolean;
}
