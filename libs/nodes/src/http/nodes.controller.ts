import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Inject, Param, ParseUUIDPipe, Post, Put } from '@nestjs/common';
import { BatonError } from '@baton/common';
import { NodesService } from '../nodes.service.js';
import type { WorkerNode } from '../node.types.js';
import { NodeConfigDto } from './node-protocol.dto.js';

const NodeId = new ParseUUIDPipe({ exceptionFactory: () => BatonError.validation([{ path: 'id', message: 'must be a UUID' }]) });

/** Operators' view of the nodes: list, configure, drain, remove. */
@Controller('api/v1/nodes')
export class NodesController {
  constructor(@Inject(NodesService) private readonly nodes: NodesService) {}

  @Get()
  async list() {
    return { nodes: (await this.nodes.list()).map(presentNode) };
  }

  @Get(':id')
  async get(@Param('id', NodeId) id: string) {
    return presentNode(await this.nodes.get(id));
  }

  /** A new configuration: its version goes up; the node sees it on its next heartbeat. */
  @Put(':id/config')
  async setConfig(@Param('id', NodeId) id: string, @Body() body: NodeConfigDto) {
    return presentNode(await this.nodes.setConfig(id, body.config));
  }

  @Post(':id/drain')
  @HttpCode(HttpStatus.OK)
  async drain(@Param('id', NodeId) id: string) {
    return presentNode(await this.nodes.drain(id));
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  async remove(@Param('id', NodeId) id: string): Promise<void> {
    await this.nodes.remove(id);
  }
}

export function presentNode(node: WorkerNode) {
  return {
    id: node.id,
    name: node.name,
    status: node.status,
    capabilities: node.capabilities,
    labels: node.labels,
    resources: node.resources,
    maxJobs: node.maxJobs,
    inFlight: node.inFlight,
    lastHeartbeatAt: node.lastHeartbeatAt.toISOString(),
    config: node.config,
    configVersion: node.configVersion,
    configAck: { ...node.configAck, at: node.configAck.at?.toISOString() ?? null },
    createdAt: node.createdAt.toISOString(),
  };
}
