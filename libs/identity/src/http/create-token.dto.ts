import { IsIn, IsString, Matches } from 'class-validator';
import { ROLES, type Role } from '../roles.js';

export class CreateTokenDto {
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, {
    message: 'must be 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit',
  })
  name!: string;

  @IsIn(ROLES as unknown as string[], { message: `must be one of ${ROLES.join(', ')}` })
  role!: Role;
}
