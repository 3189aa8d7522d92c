-- Webhooks: subscriptions, the delivery outbox and the dispatcher's cursor. A delivery is a
-- row written in the same transaction that advances the cursor over the event log, so a
-- crash neither loses nor duplicates one; workers claim rows with `for update skip locked`
-- under a lease, and a row is kept after it is delivered or given up (dead).
create table webhook_subscriptions (
  id uuid primary key default gen_random_uuid(),
  url text not null,
  -- Event type patterns: '*', an exact type ('run.completed') or a prefix ('step.*').
  event_types text[] not null default '{*}',
  -- Kept as given: it is the HMAC key, so it cannot be hashed.
  secret text not null,
  description text,
  active boolean not null default true,
  -- 'progress' for the subscription seeded from ORCHESTRATION_PROGRESS_WEBHOOK_URL.
  builtin_key text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint webhook_subscriptions_builtin_key unique (builtin_key)
);

create table webhook_deliveries (
  id uuid primary key default gen_random_uuid(),
  -- Insertion order: the listing's cursor and the claim's tie-breaker.
  position bigint generated always as identity,
  subscription_id uuid not null,
  event_id bigint not null,
  event_type text not null,
  run_id uuid not null,
  event_seq bigint not null,
  -- The event as it will be sent, copied so that pruning the log cannot break a retry.
  event jsonb not null,
  status text not null default 'pending',
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  lease_owner text,
  lease_expires_at timestamptz,
  last_attempt_at timestamptz,
  last_status_code integer,
  last_error text,
  created_at timestamptz not null default now(),
  delivered_at timestamptz,
  dead_at timestamptz,
  constraint webhook_deliveries_subscription_fkey foreign key (subscription_id)
    references webhook_subscriptions (id) on delete cascade,
  constraint webhook_deliveries_subscription_event_key unique (subscription_id, event_id),
  constraint webhook_deliveries_position_key unique (position),
  constraint webhook_deliveries_status_check check (status in ('pending', 'delivered', 'dead'))
);

-- The claim: due pending rows, and "is an earlier event of this run still pending?".
create index webhook_deliveries_due_idx on webhook_deliveries (next_attempt_at, position)
  where status = 'pending';
create index webhook_deliveries_run_order_idx on webhook_deliveries (subscription_id, run_id, event_seq)
  where status = 'pending';
-- The listing per subscription, newest first.
create index webhook_deliveries_subscription_idx on webhook_deliveries (subscription_id, position desc);

-- One row: the global event-log position up to which deliveries have been written.
create table webhook_dispatch_cursor (
  name text primary key,
  position text,
  updated_at timestamptz not null default now()
);
insert into webhook_dispatch_cursor (name, position) values ('global', null);
