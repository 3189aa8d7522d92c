import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { BatonConfig, BatonError, SecretBox, SecretUnavailableError, isSealed } from '@baton/common';
import { Database } from '@baton/db';
import { fromPkcs8, generateSigningKey, parseConfiguredKey, type SigningKeyMaterial } from './signing-key-material.js';
import { SigningKeyRepository, type PublicJwk } from './signing-key.repository.js';

/**
 * How long an instance signs with the generated key it loaded before looking again (unless a
 * staged key activates sooner): a key replaced through another instance (a lost secret key)
 * is picked up within this time; the replaced key stays in the JWKS far longer.
 */
const RELOAD_MS = 60_000;
/** The JWKS is public; this keeps a burst of fetches from becoming a burst of queries. */
const JWKS_CACHE_MS = 5_000;

/** Encrypts the stored private key; its own HKDF purpose keeps it apart from agent headers. */
export const SIGNING_KEY_PURPOSE = 'baton signing key v1';

/**
 * Baton's Ed25519 signing keys (issue 13): the key call tokens are signed with, and the JWKS
 * agents verify them against. The key comes from BATON_SIGNING_KEY, or is generated once and
 * stored in `signing_keys` (private half encrypted under BATON_SECRET_KEY when set) so every
 * instance signs with the same key. A rotated-in key is published before it signs; a replaced
 * key stays published for BATON_SIGNING_KEY_OVERLAP_HOURS.
 */
@Injectable()
export class SigningKeysService implements OnApplicationBootstrap {
  private readonly logger = new Logger('SigningKeys');
  private readonly box: SecretBox;
  private configured: SigningKeyMaterial | undefined;
  private loaded: { key: SigningKeyMaterial; until: number } | undefined;
  private jwksCache: { keys: PublicJwk[]; at: number } | undefined;

  constructor(
    @Inject(SigningKeyRepository) private readonly keys: SigningKeyRepository,
    @Inject(Database) private readonly db: Database,
    @Inject(BatonConfig) private readonly config: BatonConfig,
  ) {
    this.box = new SecretBox(config.secretKey, SIGNING_KEY_PURPOSE);
  }

  /** After migrations: record the configured key, or make sure a generated one exists. */
  async onApplicationBootstrap(): Promise<void> {
    if (this.config.signingKey) {
      const key = await parseConfiguredKey(this.config.signingKey);
      await this.db.transaction(async (tx) => {
        await this.keys.retireAllExcept(key.kid, tx);
        await this.keys.upsertConfigured(key.kid, key.publicJwk, tx);
      });
      this.configured = key;
      return;
    }
    // BATON_SIGNING_KEY was unset: its key no longer signs here (it stays published for the overlap).
    await this.keys.retireConfigured();
    await this.current();
  }

  /** The key to sign with now. */
  async current(): Promise<SigningKeyMaterial> {
    if (this.configured) return this.configured;
    if (this.loaded && Date.now() < this.loaded.until) return this.loaded.key;
    try {
      return await this.load();
    } catch (error) {
      if (!(error instanceof SecretUnavailableError)) throw error;
      // Lost or changed BATON_SECRET_KEY: a new key at once keeps agent calls signed.
      this.logger.error(`the stored signing key cannot be decrypted (${error.message}); replacing it now`);
      await this.generate(0);
      return this.load();
    }
  }

  /**
   * Rotates the generated key: the new key is published at once and signs from
   * BATON_SIGNING_KEY_PUBLISH_SECONDS on (so agents' cached JWKS learn it first); the old key
   * signs until then and stays published BATON_SIGNING_KEY_OVERLAP_HOURS longer. Refused when
   * the key comes from BATON_SIGNING_KEY (rotate it there).
   */
  async rotate(): Promise<{ kid: string; activatesAt: Date }> {
    if (this.configured) {
      throw new BatonError('conflict', 'the signing key comes from BATON_SIGNING_KEY: rotate it by changing that variable');
    }
    const rotated = await this.generate(this.config.signingKeyPublishSeconds);
    if (!rotated) throw new BatonError('conflict', 'another rotation happened at the same moment: see the JWKS');
    this.jwksCache = undefined;
    this.loaded = undefined;
    this.logger.log(`signing key rotated: ${rotated.kid} signs from ${rotated.activatesAt.toISOString()}`);
    return rotated;
  }

  /** The public keys agents verify call tokens with: staged, signing and recently replaced ones. */
  async jwks(): Promise<{ keys: PublicJwk[] }> {
    if (this.jwksCache && Date.now() - this.jwksCache.at < JWKS_CACHE_MS) return { keys: this.jwksCache.keys };
    const published = await this.keys.published(this.config.signingKeyOverlapHours * 3600);
    const keys = published.map((key) => key.publicJwk);
    this.jwksCache = { keys, at: Date.now() };
    return { keys };
  }

  /** Reads the generated key that signs now (creating the first one) and decrypts it. */
  private async load(): Promise<SigningKeyMaterial> {
    let now = await this.keys.signingNow();
    if (!now.key) {
      await this.generate(null);
      now = await this.keys.signingNow();
    }
    const stored = now.key;
    if (!stored?.privateKey) throw new Error('no signing key is active: generating one lost to a staged rotation; retry shortly');
    const key = await fromPkcs8(this.box.open(stored.privateKey));
    // Stored before BATON_SECRET_KEY was set: encrypt it now.
    if (this.box.enabled && !isSealed(stored.privateKey)) await this.keys.sealPrivateKey(stored.kid, this.box.seal(stored.privateKey));
    // Held for a minute, or until a staged key takes over, whichever comes first.
    const until = Math.min(Date.now() + RELOAD_MS, now.nextActivation?.getTime() ?? Number.POSITIVE_INFINITY);
    this.loaded = { key, until };
    return key;
  }

  /**
   * Stores a new key. `delaySeconds` null: the first key, signing at once, nothing retired.
   * Otherwise the live keys retire, and the new one activates, that many seconds from now.
   * Two instances generating at once race on the partial unique index: one insert wins
   * (the other gets undefined), and `load` reads the winner on both.
   */
  private async generate(delaySeconds: number | null): Promise<{ kid: string; activatesAt: Date } | undefined> {
    const fresh = await generateSigningKey();
    if (!this.box.enabled) this.logger.warn('BATON_SECRET_KEY is not set: the generated signing key is stored unencrypted');
    return this.db.transaction(async (tx) => {
      if (delaySeconds !== null) await this.keys.retireLive(delaySeconds, tx);
      return this.keys.insertGenerated(fresh.kid, fresh.publicJwk, this.box.seal(fresh.pkcs8), delaySeconds ?? 0, tx);
    });
  }
}
