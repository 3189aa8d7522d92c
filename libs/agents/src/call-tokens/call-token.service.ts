import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { SignJWT } from 'jose';
import { BatonConfig } from '@baton/common';
import type { Agent, InvocationContext } from '../agent.types.js';
import { SigningKeysService } from './signing-keys.service.js';

/**
 * The header a call token travels in. Its own header, not `Authorization`: an agent's
 * configured `Authorization` (its API key) keeps working untouched, and an agent that ignores
 * call tokens never sees a credential it does not expect.
 */
export const CALL_TOKEN_HEADER = 'x-baton-call-token';

/** The token of the agent call in progress, for requests the A2A SDK makes on its behalf. */
const currentCall = new AsyncLocalStorage<string>();

/** Runs `fn` with `token` as the call token of every agent request it makes (see `agentFetch`). */
export function withCallToken<T>(token: string | undefined, fn: () => Promise<T>): Promise<T> {
  return token === undefined ? fn() : currentCall.run(token, fn);
}

/** The call token of the agent call this code runs in, if any. */
export function currentCallToken(): string | undefined {
  return currentCall.getStore();
}

/**
 * Signs call tokens (issue 13): a JWT (EdDSA, Ed25519) that proves to an agent that a call
 * comes from this Baton, for one run and step. Claims: `iss` (BATON_PUBLIC_URL), `aud` (the
 * agent's registered URL), `sub` (`agent:<name>`), `run_id`, `step_id`, `step_key`, `attempt`,
 * `iat`, `exp` (BATON_CALL_TOKEN_TTL_SECONDS), `jti`. Agents verify it against
 * `<iss>/.well-known/jwks.json`.
 */
@Injectable()
export class CallTokenService {
  constructor(
    @Inject(SigningKeysService) private readonly keys: SigningKeysService,
    @Inject(BatonConfig) private readonly config: BatonConfig,
  ) {}

  async issue(agent: Agent, context: InvocationContext): Promise<string> {
    const key = await this.keys.current();
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ run_id: context.runId, step_id: context.stepId, step_key: context.stepKey, attempt: context.attempt })
      .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'JWT' })
      .setIssuer(this.config.publicUrl)
      .setAudience(agent.url ?? agent.name)
      .setSubject(`agent:${agent.name}`)
      .setIssuedAt(now)
      .setExpirationTime(now + this.config.callTokenTtlSeconds)
      .setJti(randomUUID())
      .sign(key.privateKey);
  }
}
