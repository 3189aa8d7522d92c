import { IsIn, IsOptional, IsString, Matches } from 'class-validator';
import { ROLES, type Role } from '../roles.js';

export class CreateTokenDto {
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, {
    message: 'must be 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit',
  })
  name!: string;

  @IsIn(ROLES as unknown as string[], { message: `must be one of ${ROLES.join(', ')}` })
  role!: Role;

  /** Binds the token to one owner: it reaches only that owner's runs. Absent: all owners. */
  @IsOptional()
  @Matches(/^\S{1,200}$/, { message: 'must be 1-200 characters without whitespace' })
  owner?: string;
}
