-- Issue 12, the seed's workflow surface: a `workflow:` document (POST /api/v1/workflows) is
-- translated into a Baton definition and stored through the definitions library; this table
-- keeps the document as written and its translation (hints included), so nothing the user
-- wrote is lost, and each execution's run, so /workflows/{id}/status finds the latest one.
create table workflows (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  version text not null,
  document jsonb not null,
  translation jsonb not null,
  estimated_resources jsonb not null,
  definition_id uuid not null constraint workflows_definition_fk references orchestration_definitions (id),
  created_by uuid,
  created_at timestamptz not null default now()
);

create table workflow_executions (
  run_id uuid primary key constraint workflow_executions_run_fk references orchestration_runs (id) on delete cascade,
  workflow_id uuid not null constraint workflow_executions_workflow_fk references workflows (id) on delete cascade,
  created_at timestamptz not null default now()
);

-- The latest execution of a workflow (status, pause).
create index workflow_executions_latest_idx on workflow_executions (workflow_id, created_at desc);
