import { Inject, Injectable, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { BatonConfig } from '@baton/common';
import { Database } from '@baton/db';
import { UPGRADE_AUTHORIZER } from '@baton/events';
import { AgentsModule } from '@baton/agents';
import { PolicyModule } from '@baton/policy';
import { AccessGuard } from './access.guard.js';
import { AccessPolicy, accessRules } from './access-policy.js';
import { AccessService } from './access.service.js';
import { AgentCredentialsController } from './http/agent-credentials.controller.js';
import { TokensController } from './http/tokens.controller.js';
import { OidcVerifier } from './oidc/oidc-verifier.js';
import { WhoAmIController } from './http/whoami.controller.js';
import { TokenRepository } from './token.repository.js';
import { TokenService } from './token.service.js';

/** Registers BATON_BOOTSTRAP_TOKEN once migrations (run in onModuleInit) have applied. */
@Injectable()
class BootstrapTokenRegistrar implements OnApplicationBootstrap {
  constructor(@Inject(TokenService) private readonly tokens: TokenService) {}

  onApplicationBootstrap(): Promise<void> {
    return this.tokens.ensureBootstrapToken();
  }
}

/**
 * API tokens (and agent credentials), roles and the global access guard, which asks the Cedar policy engine
 * (`PolicyModule`). Needs the global `Database` and
 * `BatonConfig` (BATON_BOOTSTRAP_TOKEN, BATON_METRICS_AUTH, BATON_OIDC_* / SUPABASE_URL).
 */
@Module({
  // AgentsModule (floor 2): agent credentials are issued only for registered agents.
  imports: [PolicyModule, AgentsModule],
  controllers: [TokensController, WhoAmIController, AgentCredentialsController],
  providers: [
    TokenRepository,
    {
      provide: TokenService,
      useFactory: (db: Database, repository: TokenRepository, config: BatonConfig) =>
        new TokenService(db, repository, config.bootstrapToken),
      inject: [Database, TokenRepository, BatonConfig],
    },
    {
      provide: AccessPolicy,
      useFactory: (config: BatonConfig) => new AccessPolicy(accessRules({ metricsAuth: config.metricsAuth })),
      inject: [BatonConfig],
    },
    // People (BATON_OIDC_* or SUPABASE_URL); null leaves API tokens as the only credential.
    { provide: OidcVerifier, useFactory: (config: BatonConfig) => (config.oidc ? new OidcVerifier(config.oidc) : null), inject: [BatonConfig] },
    AccessService,
    // WebSocket upgrades bypass Nest's guards; the event socket server asks this instead.
    { provide: UPGRADE_AUTHORIZER, useExisting: AccessService },
    BootstrapTokenRegistrar,
    { provide: APP_GUARD, useClass: AccessGuard },
  ],
  exports: [TokenService, AccessService],
})
export class IdentityModule {}
