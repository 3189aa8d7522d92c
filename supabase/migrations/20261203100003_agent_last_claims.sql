-- Agent choice (issue 12): "least recently used" needs when each agent was last given a step.
-- Reading it from the steps it served (`served_by`, `claimed_at`) forgot a use whenever a
-- retry moved the step to another agent, so a failing agent looked idle and got more than
-- its share. One row per agent, written by the claim that chose it.
create table orchestration_agent_claims (
  agent text not null,
  last_claimed_at timestamptz not null,
  constraint orchestration_agent_claims_pkey primary key (agent)
);
