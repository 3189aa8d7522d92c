import { Body, Controller, Get, Inject, Param, Post } from '@nestjs/common';
import { BatonError } from '@baton/common';
import { CurrentPrincipal, principalLabel, type Principal } from '@baton/identity';
import { MessageTypeService } from '../message-type.service.js';
import { toMessageTypeResponse } from './message.presenter.js';
import { RegisterMessageTypeDto } from './send-message.dto.js';

/** Message types: a JSON Schema per name, versioned (each registration is the next version). */
@Controller('api/v1/message-types')
export class MessageTypesController {
  constructor(@Inject(MessageTypeService) private readonly types: MessageTypeService) {}

  @Post()
  async register(@CurrentPrincipal() caller: Principal, @Body() body: RegisterMessageTypeDto): Promise<Record<string, unknown>> {
    return toMessageTypeResponse(await this.types.register(body, principalLabel(caller)));
  }

  @Get()
  async list(): Promise<{ items: Record<string, unknown>[] }> {
    return { items: (await this.types.list()).map(toMessageTypeResponse) };
  }

  @Get(':name')
  async latest(@Param('name') name: string): Promise<Record<string, unknown>> {
    return toMessageTypeResponse(await this.types.get(name));
  }

  @Get(':name/versions/:version')
  async version(@Param('name') name: string, @Param('version') version: string): Promise<Record<string, unknown>> {
    if (!/^[1-9][0-9]{0,8}$/.test(version)) throw BatonError.notFound('message type', `${name}@${version}`);
    return toMessageTypeResponse(await this.types.get(name, Number(version)));
  }
}
