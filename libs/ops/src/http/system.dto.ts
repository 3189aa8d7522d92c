import { IsIn, IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { SYSTEM_MODES, type SystemMode } from '../mode/system-mode.js';

export class SetModeDto {
  @IsIn(SYSTEM_MODES as unknown as string[], { message: `mode must be one of ${SYSTEM_MODES.join(', ')}` })
  mode!: SystemMode;

  @IsString()
  @IsNotEmpty({ message: 'reason must say why (it is shown to everyone and kept in the system events)' })
  @MaxLength(500)
  reason!: string;
}

export class DrainDto {
  @IsString()
  @IsNotEmpty({ message: 'reason must say why the hub is drained' })
  @MaxLength(500)
  reason!: string;
}
