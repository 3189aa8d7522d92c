-- Loops on steps (issue 9): a step with `loop` runs once per iteration, each iteration its own
-- durable execution. The step row carries the current iteration (null for a step that does
-- not loop); each finished iteration is a row here, written in the same transaction that
-- queues the next one, so a crash never loses an iteration nor records one twice (the primary
-- key refuses a second completion of the same iteration).
alter table orchestration_steps add column iteration integer;

alter table orchestration_steps
  add constraint orchestration_steps_iteration_check check (iteration is null or iteration >= 1);

create table orchestration_step_iterations (
  step_id uuid not null,
  run_id uuid not null,
  iteration integer not null,
  status text not null,
  input jsonb,
  output jsonb,
  error jsonb,
  started_at timestamptz,
  finished_at timestamptz not null default now(),
  constraint orchestration_step_iterations_pkey primary key (step_id, iteration),
  constraint orchestration_step_iterations_step_fkey foreign key (step_id) references orchestration_steps (id) on delete cascade,
  constraint orchestration_step_iterations_status_check check (status in ('completed', 'failed'))
);

create index orchestration_step_iterations_run_idx on orchestration_step_iterations (run_id);
