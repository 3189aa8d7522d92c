import { Module } from '@nestjs/common';
import { DecisionLogService } from './decision-log/decision-log.service.js';
import { PolicyDecisionRepository } from './decision-log/policy-decision.repository.js';
import { PoliciesController } from './http/policies.controller.js';
import { PolicyAuthorizer } from './policy-authorizer.js';
import { defaultPolicyText } from './policy-files.js';
import { PolicyEngine } from './policy-engine.js';
import { DEFAULT_POLICY_VERSION } from './policy-version.types.js';
import { PolicyRepository } from './policy.repository.js';
import { PolicyService } from './policy.service.js';

/**
 * The Cedar policy engine and the versioned policy sets. The engine starts with the shipped
 * default set; at application bootstrap `PolicyService` stores BATON_POLICY_FILE (when it
 * changed) and loads the active version. `PolicyAuthorizer` is what Baton's code asks before
 * acting (the engine's decision, written to the decision log when it is a deny or a sensitive
 * allow). Needs the global `Database` and `BatonConfig`.
 */
@Module({
  controllers: [PoliciesController],
  providers: [
    {
      provide: PolicyEngine,
      useFactory: () => {
        const engine = new PolicyEngine();
        engine.load(DEFAULT_POLICY_VERSION, defaultPolicyText());
        return engine;
      },
    },
    PolicyRepository,
    PolicyService,
    PolicyDecisionRepository,
    DecisionLogService,
    PolicyAuthorizer,
  ],
  exports: [PolicyEngine, PolicyService, PolicyAuthorizer, DecisionLogService],
})
export class PolicyModule {}
