-- Webhooks: back off a failing destination as a whole. 34 subscriptions pointing at a dead
-- port used to turn every event into its own retry schedule (thousands of failing attempts,
-- each with its bookkeeping). A destination is a subscription URL's scheme://host:port; while
-- it is blocked none of its deliveries is claimed, and when the block ends a probe decides.
create table webhook_destinations (
  origin text primary key,
  -- Consecutive failed windows (not attempts: failures inside one window count once).
  failures integer not null default 0,
  blocked_until timestamptz not null default now(),
  last_error text,
  updated_at timestamptz not null default now()
);

alter table webhook_subscriptions
  add column destination text generated always as (lower(substring(url from '^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*'))) stored;

-- The claim walks each open subscription's due deliveries in order.
create index webhook_deliveries_subscription_due_idx on webhook_deliveries (subscription_id, next_attempt_at, position)
  where status = 'pending';
