import { Type } from 'class-transformer';
import {
  IsDefined,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { BatonError } from '@baton/common';
import { MESSAGE_KINDS, type MessageKind, type MessageTarget } from '../message.types.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.:@/-]{0,199}$/;
const NAME_MESSAGE = 'must be 1-200 characters: letters, digits, "_", ".", ":", "@", "/" or "-"';

export class MessageTargetDto {
  @IsOptional()
  @IsString()
  @Matches(NAME, { message: `agent ${NAME_MESSAGE}` })
  agent?: string;

  @IsOptional()
  @IsString()
  @Matches(NAME, { message: `topic ${NAME_MESSAGE}` })
  topic?: string;
}

/** `POST /api/v1/messages`. There is no sender field: the sender is the caller's token. */
export class SendMessageDto {
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => MessageTargetDto)
  to?: MessageTargetDto;

  @IsIn([...MESSAGE_KINDS], { message: `kind must be one of: ${MESSAGE_KINDS.join(', ')}` })
  kind!: MessageKind;

  @IsString()
  @IsNotEmpty()
  @MaxLength(120)
  type!: string;

  @IsDefined({ message: 'payload is required' })
  payload!: unknown;

  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  nonce!: string;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  correlation_id?: string;

  @IsOptional()
  @IsString()
  @Matches(NAME, { message: `reply_to ${NAME_MESSAGE}` })
  reply_to?: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(7 * 24 * 3600)
  ttl_seconds?: number;

  @IsOptional()
  @IsUUID()
  run_id?: string;
}

/** `{ agent }` or `{ topic }`, exactly one; undefined when absent (a reply). */
export function targetOf(dto: MessageTargetDto | undefined): MessageTarget | undefined {
  if (!dto) return undefined;
  if ((dto.agent === undefined) === (dto.topic === undefined)) {
    throw BatonError.validation([{ path: 'to', message: 'must name exactly one of agent or topic' }]);
  }
  return dto.agent !== undefined ? { agent: dto.agent } : { topic: dto.topic! };
}

/** `GET /api/v1/messages/inbox?limit=&wait=`. */
export class InboxQueryDto {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  /** Seconds to wait for the first message when the inbox is empty (long poll). */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(60)
  wait?: number;
}

export class RegisterMessageTypeDto {
  @IsString()
  name!: string;

  @IsObject()
  schema!: Record<string, unknown>;

  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string;
}

export class ExternalEventDto {
  @IsString()
  name!: string;

  @IsOptional()
  data?: unknown;

  @IsOptional()
  @IsString()
  id?: string;
}

export class ListQueryDto {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;

  @IsOptional()
  @IsString()
  name?: string;
}
