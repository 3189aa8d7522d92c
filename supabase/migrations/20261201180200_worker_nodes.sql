-- Issue 15: worker nodes. A node registers with a registration token and gets its own
-- token (stored as a SHA-256 hash only), a configuration with a version that operators
-- bump, and the version it last acknowledged (with status and error), so an operator sees
-- which nodes run an old or a broken configuration.
create table worker_nodes (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  token_hash text not null,
  capabilities text[] not null default '{}',
  labels jsonb not null default '{}',
  resources jsonb not null default '{}',
  max_jobs integer not null default 1,
  status text not null default 'active',
  config jsonb not null default '{}',
  config_version integer not null default 1,
  config_ack_version integer,
  config_ack_at timestamptz,
  config_ack_status text,
  config_ack_error text,
  last_heartbeat_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  constraint worker_nodes_token_hash_key unique (token_hash),
  constraint worker_nodes_status_check check (status in ('active', 'draining', 'removed')),
  constraint worker_nodes_max_jobs_check check (max_jobs > 0),
  constraint worker_nodes_ack_status_check check (config_ack_status is null or config_ack_status in ('applied', 'failed'))
);
