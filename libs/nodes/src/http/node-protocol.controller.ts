import { Body, Controller, Get, HttpCode, HttpStatus, Inject, Param, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { NodesService } from '../nodes.service.js';
import type { WorkerJob, WorkerNode } from '../node.types.js';
import { WorkerJobsService } from '../worker-jobs.service.js';
import { bearerOf, NodeAuthGuard, RegistrationGuard, type RequestWithNode } from './node-auth.guard.js';
import { AckConfigDto, ClaimDto, CompleteJobDto, FailJobDto, RegisterNodeDto } from './node-protocol.dto.js';

/**
 * The worker node protocol (docs/nodes.md): what nodes call, with their own tokens. Snake
 * case on the wire, as the protocol's bootstrap payload names its fields.
 */
@Controller('api/v1/nodes')
export class NodeProtocolController {
  constructor(
    @Inject(NodesService) private readonly nodes: NodesService,
    @Inject(WorkerJobsService) private readonly jobs: WorkerJobsService,
  ) {}

  @Post('register')
  @UseGuards(RegistrationGuard)
  async register(@Body() body: RegisterNodeDto, @Req() request: Request) {
    const registration = {
      name: body.name,
      capabilities: [...new Set(body.capabilities)],
      labels: body.labels ?? {},
      resources: body.resources ?? {},
      maxJobs: body.max_concurrent_jobs ?? 1,
    };
    const { node, token } = await this.nodes.register(bearerOf(request), registration);
    const base = `${request.protocol}://${request.get('host')}/api/v1/nodes/${node.id}`;
    return {
      node_id: node.id,
      node_token: token,
      node_config_url: `${base}/config`,
      heartbeat_url: `${base}/heartbeat`,
      claim_url: `${base}/claim`,
      jobs_url: `${base}/jobs`,
      ...this.nodes.configOf(node).config,
    };
  }

  @Get(':id/config')
  @UseGuards(NodeAuthGuard)
  config(@Req() request: Request) {
    return this.nodes.configOf(nodeOf(request));
  }

  @Post(':id/config')
  @UseGuards(NodeAuthGuard)
  @HttpCode(HttpStatus.OK)
  async acknowledge(@Body() body: AckConfigDto, @Req() request: Request) {
    await this.nodes.acknowledge(nodeOf(request), body.version, body.status, body.error ?? null);
    return { acknowledged: body.version };
  }

  /** Renews the node's leases; the answer tells it whether its configuration changed or it should drain. */
  @Post(':id/heartbeat')
  @UseGuards(NodeAuthGuard)
  @HttpCode(HttpStatus.OK)
  async heartbeat(@Req() request: Request) {
    const node = nodeOf(request);
    await this.nodes.heartbeat(node);
    const renewed = await this.jobs.renew(node);
    return { status: node.status, config_version: node.configVersion, leases_renewed: renewed };
  }

  /** Long-poll: 200 with a leased job, or 204 when none came within `wait_seconds` (default 20). */
  @Post(':id/claim')
  @UseGuards(NodeAuthGuard)
  async claim(@Body() body: ClaimDto, @Req() request: Request, @Res() response: Response) {
    const closed = new AbortController();
    response.on('close', () => closed.abort());
    const job = await this.jobs.claim(nodeOf(request), body.wait_seconds ?? 20, closed.signal);
    if (!job) {
      response.status(HttpStatus.NO_CONTENT).end();
      return;
    }
    // The node vanished while we leased it: the lease runs out and another node takes the job.
    if (!closed.signal.aborted) response.status(HttpStatus.OK).json({ job: presentJob(job) });
  }

  @Post(':id/jobs/:jobId/complete')
  @UseGuards(NodeAuthGuard)
  @HttpCode(HttpStatus.OK)
  async complete(@Param('jobId') jobId: string, @Body() body: CompleteJobDto, @Req() request: Request) {
    await this.jobs.complete(nodeOf(request), uuidOr404(jobId), body.lease_token, body.output ?? null);
    return { job_id: jobId, status: 'completed' };
  }

  @Post(':id/jobs/:jobId/fail')
  @UseGuards(NodeAuthGuard)
  @HttpCode(HttpStatus.OK)
  async fail(@Param('jobId') jobId: string, @Body() body: FailJobDto, @Req() request: Request) {
    await this.jobs.fail(nodeOf(request), uuidOr404(jobId), body.lease_token, { message: body.error.message, retryable: body.error.retryable ?? true });
    return { job_id: jobId, status: 'failed' };
  }
}

function nodeOf(request: Request): WorkerNode {
  return (request as Request & RequestWithNode).node!;
}

function uuidOr404(id: string): string {
  // A malformed id cannot name a job: the same answer as an unknown one, not a database error.
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id) ? id : '00000000-0000-0000-0000-000000000000';
}

function presentJob(job: WorkerJob) {
  return {
    id: job.id,
    agent: job.agentName,
    input: job.input,
    context: job.context,
    lease_token: job.leaseToken,
    lease_expires_at: job.leaseExpiresAt?.toISOString() ?? null,
    lease: job.leases,
  };
}
