import { Inject, Injectable } from '@nestjs/common';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { BatonConfig, BatonError, type FieldError } from '@baton/common';
import { NODE_MOVES } from './node-status.js';
import { NodeRepository } from './node.repository.js';
import { RegistrationTokenRepository, type RegistrationToken } from './registration-token.repository.js';
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
    @Inject(RegistrationTokenRepository) private readonly registrationTokens: RegistrationTokenRepository,
    @Inject(BatonConfig) private readonly config: BatonConfig,
  ) {}

  /**
   * Registers a node presenting a registration token; returns it and its own token (shown
   * once). A named token's labels are added to the node's own (the token's win).
   */
  async register(registrationToken: string | undefined, registration: NodeRegistration): Promise<{ node: WorkerNode; token: string }> {
    const named = await this.checkRegistrationToken(registrationToken);
    const token = NODE_TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const labels = { ...registration.labels, ...(named?.labels ?? {}) };
    return { node: withLiveness(await this.nodes.insert({ ...registration, labels }, hashNodeToken(token)), this.config), token };
  }

  /**
   * 401 unless `token` is BATON_NODE_REGISTRATION_TOKEN or a named registration token (from
   * the bootstrap file). Returns the named token it matched, null for the environment's.
   */
  async checkRegistrationToken(token: string | undefined): Promise<RegistrationToken | null> {
    if (!token) throw new BatonError('unauthorized', 'a node registration token is required');
    const expected = this.config.nodeRegistrationToken;
    if (expected && sameSecret(token, expected)) return null;
    const named = await this.registrationTokens.findByHash(hashNodeToken(token));
    if (named) return named;
    throw new BatonError('unauthorized', 'invalid node registration token');
  }

  /**
   * Creates or updates a named registration token (the bootstrap file's
   * `node_registration_tokens`): `{ name, sha256 | token_env, labels? }`, the secret given as
   * its SHA-256 (hex) or as the name of an environment variable holding it (looked up in
   * `env`). Only the hash is stored. Bad entries are a validation error naming each field.
   */
  seedRegistrationToken(entry: Record<string, unknown>, env: Record<string, string | undefined>): Promise<'created' | 'updated' | 'unchanged'> {
    const errors: FieldError[] = [];
    const name = typeof entry.name === 'string' && /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(entry.name) ? entry.name : undefined;
    if (!name) errors.push({ path: 'name', message: 'is required: 1-128 letters, digits, "_", "." or "-"' });
    for (const key of Object.keys(entry)) {
      if (!['name', 'sha256', 'token_env', 'labels'].includes(key)) errors.push({ path: key, message: 'is not a field (name, sha256, token_env, labels)' });
    }
    let hash: string | undefined;
    if ((entry.sha256 === undefined) === (entry.token_env === undefined)) {
      errors.push({ path: 'sha256', message: 'give exactly one of sha256 (the token\'s SHA-256, hex) or token_env (a variable holding the token)' });
    } else if (entry.sha256 !== undefined) {
      if (typeof entry.sha256 === 'string' && /^[0-9a-f]{64}$/i.test(entry.sha256)) hash = entry.sha256.toLowerCase();
      else errors.push({ path: 'sha256', message: 'must be 64 hex digits' });
    } else {
      const secret = typeof entry.token_env === 'string' ? env[entry.token_env] : undefined;
      if (secret && secret.length >= 16) hash = hashNodeToken(secret);
      else errors.push({ path: 'token_env', message: `must name an environment variable holding a token of at least 16 characters` });
    }
    const labels = entry.labels ?? {};
    if (typeof labels !== 'object' || labels === null || Array.isArray(labels) || Object.values(labels).some((v) => typeof v !== 'string')) {
      errors.push({ path: 'labels', message: 'must be a mapping of names to strings' });
    }
    if (errors.length > 0) throw BatonError.validation(errors);
    return this.registrationTokens.upsert(name!, hash!, labels as Record<string, string>);
  }

  /** The named registration tokens (never their secrets). */
  listRegistrationTokens(): Promise<RegistrationToken[]> {
    return this.registrationTokens.list();
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

  /** Every node not removed; one silent for a lease's length shows as `offline`. */
  async list(): Promise<WorkerNode[]> {
    return (await this.nodes.list()).map((node) => withLiveness(node, this.config));
  }

  async get(id: string): Promise<WorkerNode> {
    const node = await this.nodes.findById(id);
    if (!node || node.status === 'removed') throw BatonError.notFound('node', id);
    return withLiveness(node, this.config);
  }

  /** An operator's new configuration: the version goes up, nodes see it on their next heartbeat. */
  async setConfig(id: string, config: Record<string, unknown>): Promise<WorkerNode> {
    if (!(await this.nodes.setConfig(id, config))) throw BatonError.notFound('node', id);
    return this.get(id);
  }

  /** Draining: the node takes no new job and finishes those it holds. */
  async drain(id: string): Promise<WorkerNode> {
    if (!(await this.nodes.move(id, NODE_MOVES.drain))) throw BatonError.notFound('node', id);
    return this.get(id);
  }

  /** Removed: its token stops working; jobs it held return to the queue when their leases run out. */
  async remove(id: string): Promise<void> {
    if (!(await this.nodes.move(id, NODE_MOVES.remove))) throw BatonError.notFound('node', id);
  }
}

/**
 * A node silent for twice its lease (and at least 5 s more than one) is `offline`: its
 * leases ran out, so any node may claim its jobs. Derived, never stored: its next
 * heartbeat makes it live again.
 */
export function offlineAfterSeconds(leaseSeconds: number): number {
  return Math.max(2 * leaseSeconds, leaseSeconds + 5);
}

function withLiveness(node: WorkerNode, config: BatonConfig): WorkerNode {
  const silent = node.status !== 'removed' && node.silentSeconds > offlineAfterSeconds(config.nodeLeaseSeconds);
  return silent ? { ...node, status: 'offline', inFlight: 0 } : node;
}

export function hashNodeToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
