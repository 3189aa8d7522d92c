-- Issue 15: the jobs of `worker` agents' steps, pulled by worker nodes under leases.
-- `idempotency_key` is the step attempt (and fan-out item), so a step re-claimed after a
-- Baton crash finds its job instead of queueing a second one. `lease_token` fences a
-- node's completion: a new lease (after the old one expired) makes the old token useless,
-- so a step is never completed twice.
create table worker_jobs (
  id uuid primary key default gen_random_uuid(),
  idempotency_key text not null,
  agent_name text not null,
  input jsonb,
  context jsonb not null default '{}',
  status text not null default 'queued',
  node_id uuid references worker_nodes (id),
  lease_token uuid,
  lease_expires_at timestamptz,
  leases integer not null default 0,
  output jsonb,
  error jsonb,
  created_at timestamptz not null default now(),
  finished_at timestamptz,
  constraint worker_jobs_idempotency_key_key unique (idempotency_key),
  constraint worker_jobs_status_check check (status in ('queued', 'leased', 'completed', 'failed', 'cancelled'))
);

-- The claim query: queued jobs, and leased ones whose lease ran out, oldest first.
create index worker_jobs_claimable_idx on worker_jobs (agent_name, created_at) where status in ('queued', 'leased');
