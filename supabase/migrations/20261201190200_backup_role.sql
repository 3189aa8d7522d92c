-- Issue 16: a `backup` role for the solo operator's backup contact, who may read the hub's
-- state and drain it (an emergency shutdown) but not submit, steer or approve anything.
alter table api_tokens drop constraint api_tokens_role_check;
alter table api_tokens add constraint api_tokens_role_check check (role in ('viewer', 'agent', 'operator', 'admin', 'backup'));
