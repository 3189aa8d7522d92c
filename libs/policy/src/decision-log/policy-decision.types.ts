/** One decision as the log keeps it. `principal` and `resource` are Cedar uids, e.g. `Baton::Token::"<id>"`. */
export interface NewDecision {
  principal: string;
  action: string;
  resource: string;
  decision: 'allow' | 'deny';
  policyVersion: string;
  reasons: string[];
  errors: string[];
  at: Date;
}

export interface LoggedDecision extends NewDecision {
  id: number;
}

export interface DecisionFilter {
  decision?: 'allow' | 'deny';
  action?: string;
  principal?: string;
  limit: number;
}
