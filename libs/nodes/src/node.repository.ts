import { Inject, Injectable } from '@nestjs/common';
import { Database } from '@baton/db';
import { LIVE_NODE_STATUSES, type NODE_MOVES } from './node-status.js';
import type { NodeRegistration, WorkerNode } from './node.types.js';

const COLUMNS = `n.id::text as id, n.name, n.capabilities, n.labels, n.resources, n.max_jobs, n.status, n.config,
  n.config_version, n.config_ack_version, n.config_ack_at, n.config_ack_status, n.config_ack_error,
  n.last_heartbeat_at, n.created_at, extract(epoch from now() - n.last_heartbeat_at)::float8 as silent_seconds,
  (select count(*) from worker_jobs j where j.node_id = n.id and j.status = 'leased' and j.lease_expires_at > now())::int as in_flight`;

/** The `worker_nodes` table: one statement per method. */
@Injectable()
export class NodeRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  async insert(registration: NodeRegistration, tokenHash: string): Promise<WorkerNode> {
    const { rows } = await this.db.query(
      `with inserted as (
         insert into worker_nodes (name, token_hash, capabilities, labels, resources, max_jobs)
         values ($1::text, $2::text, $3::text[], $4::jsonb, $5::jsonb, $6::int)
         returning *)
       select ${COLUMNS} from inserted n`,
      [registration.name, tokenHash, registration.capabilities, JSON.stringify(registration.labels), JSON.stringify(registration.resources), registration.maxJobs],
    );
    return toNode(rows[0]!);
  }

  /** The node with this id and token, unless removed. */
  async findByToken(id: string, tokenHash: string): Promise<WorkerNode | null> {
    const { rows } = await this.db.query(
      `select ${COLUMNS} from worker_nodes n where n.id = $1::uuid and n.token_hash = $2::text and n.status <> 'removed'`,
      [id, tokenHash],
    );
    return rows[0] ? toNode(rows[0]) : null;
  }

  async findById(id: string): Promise<WorkerNode | null> {
    const { rows } = await this.db.query(`select ${COLUMNS} from worker_nodes n where n.id = $1::uuid`, [id]);
    return rows[0] ? toNode(rows[0]) : null;
  }

  async list(): Promise<WorkerNode[]> {
    const { rows } = await this.db.query(`select ${COLUMNS} from worker_nodes n where n.status <> 'removed' order by n.created_at, n.id`);
    return rows.map(toNode);
  }

  async heartbeat(id: string): Promise<void> {
    await this.db.query(`update worker_nodes set last_heartbeat_at = now() where id = $1::uuid`, [id]);
  }

  /** Records an acknowledgement of `version`; a stale version (already superseded) is still recorded as what the node runs. */
  async acknowledge(id: string, version: number, status: 'applied' | 'failed', error: string | null): Promise<void> {
    await this.db.query(
      `update worker_nodes set config_ack_version = $2::int, config_ack_at = now(), config_ack_status = $3::text, config_ack_error = $4::text
       where id = $1::uuid`,
      [id, version, status, error],
    );
  }

  /** Replaces the configuration and bumps its version. */
  async setConfig(id: string, config: Record<string, unknown>): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `update worker_nodes set config = $2::jsonb, config_version = config_version + 1 where id = $1::uuid and status = any($3::text[])`,
      [id, JSON.stringify(config), LIVE_NODE_STATUSES],
    );
    return rowCount > 0;
  }

  /** Performs a `NODE_MOVES` move; false when the node is in none of its `from` statuses (or absent). */
  async move(id: string, move: (typeof NODE_MOVES)[keyof typeof NODE_MOVES]): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `update worker_nodes set status = $2::text where id = $1::uuid and status = any($3::text[])`,
      [id, move.to, move.from],
    );
    return rowCount > 0;
  }
}

function toNode(row: Record<string, any>): WorkerNode {
  return {
    id: row.id,
    name: row.name,
    capabilities: row.capabilities,
    labels: row.labels,
    resources: row.resources,
    maxJobs: row.max_jobs,
    status: row.status,
    config: row.config,
    configVersion: row.config_version,
    configAck: { version: row.config_ack_version, at: row.config_ack_at ? new Date(row.config_ack_at) : null, status: row.config_ack_status, error: row.config_ack_error },
    lastHeartbeatAt: new Date(row.last_heartbeat_at),
    silentSeconds: Number(row.silent_seconds),
    createdAt: new Date(row.created_at),
    inFlight: row.in_flight,
  };
}
