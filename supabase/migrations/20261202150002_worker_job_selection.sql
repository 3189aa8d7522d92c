-- Issue 15: worker jobs for parked steps. `step_id` is the step a finished job wakes;
-- `expires_at` is the step's timeout, enforced on the job since no engine call waits for
-- it any more; `node_labels` and `node_resources` are what the step asks of the node that
-- takes it (labels equal, resources free), checked by the claim.
alter table worker_jobs add column step_id uuid;
alter table worker_jobs add column expires_at timestamptz;
alter table worker_jobs add column node_labels jsonb not null default '{}';
alter table worker_jobs add column node_resources jsonb not null default '{}';
create index worker_jobs_expiry_idx on worker_jobs (expires_at) where status in ('queued', 'leased');
create index worker_jobs_node_idx on worker_jobs (node_id) where status = 'leased';
