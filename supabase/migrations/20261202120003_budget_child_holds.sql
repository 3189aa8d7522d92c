-- Budgets (issue 9): a child run reserves its share of max_steps (its step count) before it
-- starts, so parallel child runs cannot overshoot the tree's limit together. The hold is
-- spent by the child's own steps and its remainder released when the child ends.
alter table run_budgets add column reserved_steps integer not null default 0;

create table run_budget_holds (
  run_id uuid primary key,
  root_run_id uuid not null,
  steps_left integer not null,
  constraint run_budget_holds_run_fkey foreign key (run_id) references orchestration_runs (id) on delete cascade,
  constraint run_budget_holds_steps_left_check check (steps_left >= 0)
);
