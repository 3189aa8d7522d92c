-- The agents page shows each agent's recent failures (GET /api/v1/agents/:name/health): steps
-- of that agent whose last attempt ended in an error, newest first. Without an index that is
-- a scan of every step; only steps carrying an error object are indexed (a completed step
-- may hold a JSON null there), so it stays small.
create index orchestration_steps_agent_errors_idx
  on orchestration_steps (agent, updated_at desc)
  where jsonb_typeof(error) = 'object';
