-- Budgets with `on_exceed: ask` (issue 9) open an approval of kind `budget` on the step that
-- hit the limit: approving (with new limits in the payload) raises the budget and continues.
alter table human_approvals drop constraint human_approvals_kind_check;
alter table human_approvals add constraint human_approvals_kind_check
  check (kind in ('checkpoint', 'failure', 'agent_input', 'budget'));
