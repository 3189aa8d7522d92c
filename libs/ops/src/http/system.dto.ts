import { IsIn, IsNotEmpty, IsString, Matches, MaxLength } from 'class-validator';
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

/** The query of a signed heartbeat URL (`baton heartbeat --url` makes it). */
export class SignedHeartbeatQueryDto {
  @IsString({ message: 'by must be the name the URL was made for' })
  @Matches(/^[\w.@-]{1,100}$/, { message: 'by must be 1 to 100 letters, digits or ._@-' })
  by!: string;

  @IsString({ message: 'signature must be the hex signature of the URL' })
  @Matches(/^[0-9a-f]{64}$/, { message: 'signature must be 64 hex digits' })
  signature!: string;
}
