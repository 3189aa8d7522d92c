-- Webhook subscriptions gain a run filter and a delivery format, for A2A push
-- notifications (one subscription per push config, scoped to the task's run, with the
-- A2A payload as the body). `run_id` is not a foreign key: webhooks do not own runs, and
-- a subscription outliving its run simply receives nothing more. `format` names who writes
-- the body (`baton`: the event envelope; others: a renderer registered in-process);
-- `format_options` is the renderer's data (an A2A config's token and authentication).
alter table webhook_subscriptions
  add column run_id uuid,
  add column format text not null default 'baton',
  add column format_options jsonb not null default '{}'::jsonb,
  add constraint webhook_subscriptions_format_check check (format ~ '^[a-z0-9][a-z0-9.-]{0,39}$');

-- A task's push configs are listed by run.
create index webhook_subscriptions_run_idx on webhook_subscriptions (run_id) where run_id is not null;
