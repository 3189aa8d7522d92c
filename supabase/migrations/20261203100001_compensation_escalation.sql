-- Saga compensation (issue 12): a compensation that exhausts its attempts is no longer simply
-- `failed`; it becomes `escalated` and opens an approval of kind `compensation` for a person
-- (retry with fresh attempts, or give up). The rollback may also be bounded in time
-- (SAGA_COMPENSATION_TIMEOUT_SECONDS): what is still open then is `abandoned`.
alter table orchestration_compensations drop constraint orchestration_compensations_status_check;
alter table orchestration_compensations add constraint orchestration_compensations_status_check
  check (status in ('pending', 'running', 'escalated', 'completed', 'failed', 'abandoned'));

alter table human_approvals drop constraint human_approvals_kind_check;
alter table human_approvals add constraint human_approvals_kind_check
  check (kind in ('checkpoint', 'failure', 'agent_input', 'budget', 'compensation'));
