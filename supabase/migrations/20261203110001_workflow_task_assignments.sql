-- Issue 12, `agent.task_assigned`: a durable consumer appends one such event per attempt of a
-- step of a workflow execution. A step may start before its run is linked to the workflow
-- (the link is written just after the run), so the consumer also assigns, when it meets
-- `workflow.execution_started`, the steps already started. This row makes each assignment
-- happen once whichever of the two paths meets it first.
create table workflow_task_assignments (
  run_id uuid not null constraint workflow_task_assignments_run_fk references orchestration_runs (id) on delete cascade,
  step_key text not null,
  attempt integer not null,
  created_at timestamptz not null default now(),
  constraint workflow_task_assignments_pkey primary key (run_id, step_key, attempt)
);
