import { Inject, Injectable } from '@nestjs/common';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { BatonConfig, BatonError } from '@baton/common';
import { NodeRepository } from './node.repository.js';
import type { NodeRegistration, WorkerNode } from './node.types.js';

export const NODE_TOKEN_PREFIX = 'baton_node_';

/**
 * Worker nodes' membership: registration, their token, configuration and its
 * acknowledgement, heartbeats, drain and removal. Jobs are `WorkerJobsService`'s.
 */
@Injectable()
export class NodesService {
  constructor(
    @Inject(NodeRepository) private readonly nodes: NodeRepository,
    @Inject(BatonConfig) private readonly config: BatonConfig,
  ) {}

  /** Registers a node presenting the registration token; returns it and its own token (shown once). */
  async register(registrationToken: string | undefined, registration: NodeRegistration): Promise<{ node: WorkerNode; token: string }> {
    this.checkRegistrationToken(registrationToken);
    const token = NODE_TOKEN_PREFIX + randomBytes(32).toString('base64url');
    return { node: await this.nodes.insert(registration, hashNodeToken(token)), token };
  }

  /** 401 unless `token` is the registration token (always, while registration is off). */
  checkRegistrationToken(token: string | undefined): void {
    const expected = this.config.nodeRegistrationToken;
    if (!expected) throw new BatonError('unauthorized', 'node registration is off: set BATON_NODE_REGISTRATION_TOKEN');
    if (!token || !sameSecret(token, expected)) throw new BatonError('unauthorized', 'invalid node registration token');
  }

  /** The node `id` if `token` is its token (and it was not removed); 401 otherwise. */
  async authenticate(id: string, token: string | undefined): Promise<WorkerNode> {
    const node = token ? await this.nodes.findByToken(id, hashNodeToken(token)) : null;
    if (!node) throw new BatonError('unauthorized', 'invalid node token for this node');
    return node;
  }

  /** What a node runs with: the operator's configuration plus the protocol's timings, with its version. */
  configOf(node: WorkerNode): { version: number; config: Record<string, unknown> } {
    const leaseSeconds = this.config.nodeLeaseSeconds;
    return {
      version: node.configVersion,
      config: { ...node.config, lease_seconds: leaseSeconds, heartbeat_seconds: Math.max(1, Math.floor(leaseSeconds / 3)) },
    };
  }

  async acknowledge(node: WorkerNode, version: number, status: 'applied' | 'failed', error: string | null): Promise<void> {
    if (version > node.configVersion) {
      throw BatonError.validation([{ path: 'version', message: `is ${version}, but the latest configuration is version ${node.configVersion}` }]);
    }
    await this.nodes.acknowledge(node.id, version, status, error);
  }

  async heartbeat(node: WorkerNode): Promise<void> {
    await this.nodes.heartbeat(node.id);
  }

  list(): Promise<WorkerNode[]> {
    return this.nodes.list();
  }

  async get(id: string): Promise<WorkerNode> {
    const node = await this.nodes.findById(id);
    if (!node || node.status === 'removed') throw BatonError.notFound('node', id);
    return node;
  }

  /** An operator's new configuration: the version goes up, nodes see it on their next heartbeat. */
  async setConfig(id: string, config: Record<string, unknown>): Promise<WorkerNode> {
    if (!(await this.nodes.setConfig(id, config))) throw BatonError.notFound('node', id);
    return this.get(id);
  }

  /** Draining: the node takes no new job and finishes those it holds. */
  async drain(id: string): Promise<WorkerNode> {
    if (!(await this.nodes.setStatus(id, 'draining'))) throw BatonError.notFound('node', id);
    return this.get(id);
  }

  /** Removed: its token stops working; jobs it held return to the queue when their leases run out. */
  async remove(id: string): Promise<void> {
    if (!(await this.nodes.setStatus(id, 'removed'))) throw BatonError.notFound('node', id);
  }
}

export function hashNodeToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
