-- Tenancy (issue 13): an approval belongs to its run's owner, so that a token bound to an
-- owner lists, reads and decides only that owner's approvals. The owner is copied from the
-- run when the approval opens (a run's owner never changes), so the inbox filters on its own
-- table instead of joining the runs'; existing rows take their run's owner once, here.
alter table human_approvals add column owner text not null default '';

update human_approvals a set owner = r.owner from orchestration_runs r where r.id = a.run_id and r.owner <> '';

-- The inbox of one owner, oldest first (the listing's keyset order).
create index human_approvals_owner_idx on human_approvals (owner, created_at, id);
