import { Inject, Injectable } from '@nestjs/common';
import { DecisionLogService } from './decision-log/decision-log.service.js';
import { PolicyEngine, type PolicyDecision, type PolicyRequest } from './policy-engine.js';

/**
 * What Baton's own code asks before acting: the active policy set's decision, recorded in
 * the decision log when it is a deny or a sensitive allow. Synchronous (Cedar runs in
 * process; the log write happens later, off the request path). `PolicyEngine.decide` stays
 * for what-if evaluations, which are not acted on and not logged.
 */
@Injectable()
export class PolicyAuthorizer {
  constructor(
    @Inject(PolicyEngine) private readonly engine: PolicyEngine,
    @Inject(DecisionLogService) private readonly log: DecisionLogService,
  ) {}

  /**
   * `log: false` for scope questions that are not an attempt to act (does this caller see
   * every task, or only its own?): their denies are the normal answer, not a refusal.
   */
  decide(request: PolicyRequest, options: { log?: boolean } = {}): PolicyDecision {
    const decision = this.engine.decide(request);
    if (options.log !== false) this.log.record(request, decision);
    return decision;
  }
}
