-- A remote A2A agent that asks for input (INPUT_REQUIRED) becomes a human checkpoint of kind
-- `agent_input`. The agent may ask more than once within one step attempt, so approvals of a
-- step attempt are numbered by `round`, and (step, attempt, kind, round) is what is unique.
alter table human_approvals drop constraint human_approvals_kind_check;
alter table human_approvals add constraint human_approvals_kind_check
  check (kind in ('checkpoint', 'failure', 'agent_input'));

alter table human_approvals add column round integer not null default 0;
alter table human_approvals drop constraint human_approvals_step_attempt_key;
alter table human_approvals add constraint human_approvals_step_attempt_round_key
  unique (step_id, attempt, kind, round);
