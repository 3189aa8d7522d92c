-- A wait step's `match` may be a CEL condition over the event and the run's data (issue 14),
-- which SQL cannot evaluate: the wait stores the expression and the run data it sees, and the
-- matcher evaluates it (under the same per-name lock) on the candidates SQL narrows down.
alter table event_waits add column condition text;
alter table event_waits add column condition_context jsonb;
