-- Budgets (issue 9): a run tree (a run and its child runs) may carry limits on steps, turns,
-- tokens, cost and wall time. The counters live once, in one row keyed by the root run, so
-- every step of the tree spends against the same row; each spend is one guarded UPDATE
-- (`where spent + reserved + n <= max`), so concurrent steps cannot overshoot together.
create table run_budgets (
  root_run_id uuid primary key,
  max_steps integer,
  max_turns integer,
  max_tokens bigint,
  max_cost double precision,
  max_wall_seconds integer,
  on_exceed text not null default 'fail',
  spent_steps integer not null default 0,
  spent_turns integer not null default 0,
  spent_tokens bigint not null default 0,
  spent_cost double precision not null default 0,
  -- Agent calls in flight hold a reservation (the largest call seen so far) until they settle.
  reserved_tokens bigint not null default 0,
  reserved_cost double precision not null default 0,
  reserved_calls integer not null default 0,
  settled_calls integer not null default 0,
  max_call_tokens bigint not null default 0,
  max_call_cost double precision not null default 0,
  -- Limits whose 80 % warning was sent (once per limit), and the limit that was exceeded.
  warned text[] not null default '{}',
  exceeded text,
  started_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint run_budgets_root_fkey foreign key (root_run_id) references orchestration_runs (id) on delete cascade,
  constraint run_budgets_on_exceed_check check (on_exceed in ('fail', 'pause', 'ask')),
  constraint run_budgets_reserved_check check (reserved_calls >= 0)
);

-- What each step attempt spent (usage reported by agents, summed over its calls). A row also
-- marks the attempt as counted against max_steps, so a re-claimed step is not counted twice.
create table run_step_usage (
  step_id uuid not null,
  attempt integer not null,
  run_id uuid not null,
  tokens bigint not null default 0,
  cost double precision not null default 0,
  calls integer not null default 0,
  updated_at timestamptz not null default now(),
  constraint run_step_usage_pkey primary key (step_id, attempt),
  constraint run_step_usage_run_fkey foreign key (run_id) references orchestration_runs (id) on delete cascade
);

create index run_step_usage_run_idx on run_step_usage (run_id);
