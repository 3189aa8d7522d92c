import { Module } from '@nestjs/common';
import { defaultPolicyText } from './policy-files.js';
import { PolicyEngine } from './policy-engine.js';

/** The version name of the policy set shipped in the repository. */
export const DEFAULT_POLICY_VERSION = 'default';

/**
 * The Cedar policy engine, loaded with the default policy set. Import it where decisions are
 * made (the identity guard).
 */
@Module({
  providers: [
    {
      provide: PolicyEngine,
      useFactory: () => {
        const engine = new PolicyEngine();
        engine.load(DEFAULT_POLICY_VERSION, defaultPolicyText());
        return engine;
      },
    },
  ],
  exports: [PolicyEngine],
})
export class PolicyModule {}
