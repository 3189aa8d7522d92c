import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { BatonError, sha256Hex, type FieldError } from '@baton/common';
import type { Database } from '@baton/db';
import { isRole, ROLES, type Role } from './roles.js';
import type { TokenRepository } from './token.repository.js';
import { BOOTSTRAP_TOKEN_NAME, type ApiToken, type CreatedToken, type TokenPrincipal } from './token.types.js';

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const TOKEN_PREFIX = 'baton_';
const OWNER_PATTERN = /^\S{1,200}$/;
/** Shorter bootstrap secrets are refused: they could be guessed. */
export const MIN_BOOTSTRAP_TOKEN_LENGTH = 24;
const TOUCH_INTERVAL_MS = 60_000;
/**
 * How long "no token exists" is trusted before asking again. Tokens made in this process
 * turn auth on at once; one made by another process (a replica, the CLI on Postgres) is
 * noticed within this delay, and auth-off servers listen on loopback only meanwhile.
 */
const AUTH_OFF_RECHECK_MS = 1000;

/** The hash a token is stored and looked up under. */
export function hashToken(token: string): string {
  return sha256Hex(token);
}

/**
 * Creates, lists, revokes and checks API tokens. Plain class (no Nest decorators needed) so
 * the CLI builds one over its own database connection with `createTokenService`.
 */
export class TokenService {
  private readonly logger = new Logger('Identity');
  /** Once on, auth stays on for the life of the process: tokens are never deleted. */
  private authKnownOn: boolean;
  private authOffCheckedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly db: Database,
    private readonly repository: TokenRepository,
    private readonly bootstrapToken?: string,
  ) {
    this.authKnownOn = bootstrapToken !== undefined;
  }

  /** Creates a token and returns its secret, which is not stored anywhere. */
  async create(input: { name?: unknown; role?: unknown; owner?: unknown }): Promise<CreatedToken> {
    const errors: FieldError[] = [];
    const name = typeof input.name === 'string' ? input.name : '';
    if (!NAME_PATTERN.test(name)) {
      errors.push({ path: 'name', message: 'must be 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit' });
    } else if (name === BOOTSTRAP_TOKEN_NAME) {
      errors.push({ path: 'name', message: `"${BOOTSTRAP_TOKEN_NAME}" is reserved for BATON_BOOTSTRAP_TOKEN` });
    }
    if (!isRole(input.role)) errors.push({ path: 'role', message: `must be one of ${ROLES.join(', ')}` });
    const owner = input.owner ?? null;
    if (owner !== null && (typeof owner !== 'string' || !OWNER_PATTERN.test(owner))) {
      errors.push({ path: 'owner', message: 'must be 1-200 characters without whitespace' });
    }
    if (errors.length > 0) throw BatonError.validation(errors);
    const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const apiToken = await this.repository.insert(name, input.role as Role, hashToken(token), owner as string | null);
    this.authKnownOn = true;
    return { token, apiToken };
  }

  /**
   * Issues a credential for the registered agent `agent` (the caller checks it exists): a token
   * with role `agent`, bound to that agent, named `<agent>.<random>` so an agent may hold
   * several at once (rotation). Revoked like any token, or through `revokeForAgent`.
   */
  async createForAgent(agent: string, input: { owner?: unknown } = {}): Promise<CreatedToken> {
    const owner = input.owner ?? null;
    if (owner !== null && (typeof owner !== 'string' || !OWNER_PATTERN.test(owner))) {
      throw BatonError.validation([{ path: 'owner', message: 'must be 1-200 characters without whitespace' }]);
    }
    // Token names are plainer than agent names (no ":"), and at most 63 characters.
    const name = `${agent.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[^A-Za-z0-9]/, 'a').slice(0, 50)}.${randomBytes(5).toString('hex')}`;
    const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const apiToken = await this.repository.insert(name, 'agent', hashToken(token), owner as string | null, agent);
    this.authKnownOn = true;
    return { token, apiToken };
  }

  listForAgent(agent: string): Promise<ApiToken[]> {
    return this.repository.listForAgent(agent);
  }

  /** Revokes one live credential of `agent` by id or name; 404 when it has none such. */
  async revokeForAgent(agent: string, idOrName: string): Promise<ApiToken> {
    const revoked = await this.repository.revokeForAgent(agent, idOrName);
    if (!revoked) throw BatonError.notFound(`live credential of agent ${agent}`, idOrName);
    return revoked;
  }

  list(): Promise<ApiToken[]> {
    return this.repository.list();
  }

  /** Revokes the live token with this name (or id); 404 when there is none. */
  async revoke(idOrName: string): Promise<ApiToken> {
    const revoked = await this.repository.revoke(idOrName);
    if (!revoked) throw BatonError.notFound('live token', idOrName);
    return revoked;
  }

  /** The holder of `token`, or undefined when it is unknown or revoked. */
  async authenticate(token: string): Promise<TokenPrincipal | undefined> {
    const found = await this.repository.findByHash(hashToken(token));
    if (!found || found.revokedAt) return undefined;
    if (!found.lastUsedAt || Date.now() - found.lastUsedAt.getTime() >= TOUCH_INTERVAL_MS) {
      // Bookkeeping only: a failed write must not fail the request.
      this.repository.touch(found.id).catch((error) => this.logger.warn(`could not record token use: ${error}`));
    }
    const owner = found.owner !== null ? { owner: found.owner } : {};
    // An agent credential speaks as its agent: messages, inboxes and audit labels use the agent's name.
    if (found.agent !== null) return { tokenId: found.id, name: found.agent, role: 'agent', agent: found.agent, ...owner };
    return { tokenId: found.id, name: found.name, role: found.role, ...owner };
  }

  /** Auth is on when BATON_BOOTSTRAP_TOKEN is set or any token was ever created. */
  async isAuthEnabled(): Promise<boolean> {
    if (this.authKnownOn) return true;
    if (Date.now() - this.authOffCheckedAt < AUTH_OFF_RECHECK_MS) return false;
    this.authKnownOn = await this.repository.anyExists();
    if (!this.authKnownOn) this.authOffCheckedAt = Date.now();
    return this.authKnownOn;
  }

  /**
   * Makes BATON_BOOTSTRAP_TOKEN a live admin token named `bootstrap`. A changed value
   * rotates it (the previous bootstrap token is revoked); a value revoked on purpose stays
   * revoked. Safe when several instances start at once.
   */
  async ensureBootstrapToken(): Promise<void> {
    const token = this.bootstrapToken;
    if (token === undefined) return;
    if (token.length < MIN_BOOTSTRAP_TOKEN_LENGTH) {
      throw BatonError.validation(
        [{ path: 'BATON_BOOTSTRAP_TOKEN', message: `must be at least ${MIN_BOOTSTRAP_TOKEN_LENGTH} characters` }],
        'invalid configuration',
      );
    }
    const hash = hashToken(token);
    await this.db.transaction(async (tx) => {
      const existing = await this.repository.findByHash(hash, tx);
      if (existing) {
        if (existing.revokedAt) this.logger.warn('BATON_BOOTSTRAP_TOKEN was revoked; it stays revoked (set a new value to rotate)');
        return;
      }
      const retired = await this.repository.revokeNamedExcept(BOOTSTRAP_TOKEN_NAME, hash, tx);
      await this.repository.insertIfAbsent(BOOTSTRAP_TOKEN_NAME, 'admin', hash, tx);
      this.logger.log(retired > 0 ? 'bootstrap token rotated' : 'bootstrap token registered');
    });
  }
}
