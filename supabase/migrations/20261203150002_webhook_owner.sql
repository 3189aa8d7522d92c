-- Tenancy (issue 13): a webhook subscription may belong to one owner. A token bound to an
-- owner lists, reads and deletes only that owner's subscriptions, and such a subscription is
-- sent only the events of that owner's runs. Null keeps today's meaning for existing rows and
-- for subscriptions made by all-owner tokens: hub-wide, every owner's events.
alter table webhook_subscriptions add column owner text;

create index webhook_subscriptions_owner_idx on webhook_subscriptions (owner, created_at, id) where owner is not null;
