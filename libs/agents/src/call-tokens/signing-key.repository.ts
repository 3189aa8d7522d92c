import { Inject, Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@baton/db';

/** A public Ed25519 key as published in the JWKS. */
export interface PublicJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  kid: string;
  alg: 'EdDSA';
  use: 'sig';
}

export type SigningKeySource = 'generated' | 'config';

/** One row of `signing_keys`: `privateKey` is the stored PKCS#8 PEM (maybe `enc:v1:`), generated keys only. */
export interface StoredSigningKey {
  kid: string;
  publicJwk: PublicJwk;
  privateKey: string | null;
  source: SigningKeySource;
  createdAt: Date;
  /** Signing with it starts here (a rotated-in key is published before it signs). */
  activatesAt: Date;
  retiredAt: Date | null;
}

interface SigningKeyRow {
  kid: string;
  public_jwk: PublicJwk | string;
  private_key: string | null;
  source: SigningKeySource;
  created_at: Date | string;
  activates_at: Date | string;
  retired_at: Date | string | null;
}

const COLUMNS = 'kid, public_jwk, private_key, source, created_at, activates_at, retired_at';

function toSigningKey(row: SigningKeyRow): StoredSigningKey {
  return {
    kid: row.kid,
    publicJwk: typeof row.public_jwk === 'string' ? JSON.parse(row.public_jwk) : row.public_jwk,
    privateKey: row.private_key,
    source: row.source,
    createdAt: new Date(row.created_at),
    activatesAt: new Date(row.activates_at),
    retiredAt: row.retired_at === null ? null : new Date(row.retired_at),
  };
}

/** The `signing_keys` table (see its migration). Not exported from the library. */
@Injectable()
export class SigningKeyRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /**
   * The generated key to sign with now: activated and not yet retired, newest first. During a
   * rotation's publish delay that is still the old key (its retirement is in the future).
   * Also says when the next staged key activates, so a caller knows how long its answer holds.
   */
  async signingNow(tx: Queryable = this.db): Promise<{ key: StoredSigningKey | undefined; nextActivation: Date | null }> {
    const { rows } = await tx.query<SigningKeyRow & { next_activation: Date | string | null }>(
      `select ${COLUMNS},
              (select min(s.activates_at) from signing_keys s where s.activates_at > now()) as next_activation
         from signing_keys
        where source = 'generated' and activates_at <= now() and (retired_at is null or retired_at > now())
        order by activates_at desc, created_at desc
        limit 1`,
    );
    if (rows[0]) return { key: toSigningKey(rows[0]), nextActivation: rows[0].next_activation === null ? null : new Date(rows[0].next_activation) };
    return { key: undefined, nextActivation: null };
  }

  /**
   * Stores a generated key, signing from `activateAfterSeconds` on, unless one without a
   * retirement exists: two instances starting together both try, the partial unique index
   * lets one win, and both then read the winner.
   */
  async insertGenerated(
    kid: string,
    publicJwk: PublicJwk,
    privateKey: string,
    activateAfterSeconds: number,
    tx: Queryable = this.db,
  ): Promise<{ kid: string; activatesAt: Date } | undefined> {
    const { rows } = await tx.query<{ kid: string; activates_at: Date | string }>(
      `insert into signing_keys (kid, public_jwk, private_key, source, activates_at)
       values ($1::text, $2::jsonb, $3::text, 'generated', now() + make_interval(secs => $4::double precision))
       on conflict do nothing
       returning kid, activates_at`,
      [kid, JSON.stringify(publicJwk), privateKey, activateAfterSeconds],
    );
    return rows[0] && { kid: rows[0].kid, activatesAt: new Date(rows[0].activates_at) };
  }

  /** Schedules the retirement of every key without one, `afterSeconds` from now (a rotation). */
  async retireLive(afterSeconds: number, tx: Queryable = this.db): Promise<void> {
    await tx.query(
      `update signing_keys set retired_at = now() + make_interval(secs => $1::double precision) where retired_at is null`,
      [afterSeconds],
    );
  }

  /** Records the configured key as live (again), so its public half is published. */
  async upsertConfigured(kid: string, publicJwk: PublicJwk, tx: Queryable = this.db): Promise<void> {
    await tx.query(
      `insert into signing_keys (kid, public_jwk, source) values ($1::text, $2::jsonb, 'config')
       on conflict (kid) do update set retired_at = null`,
      [kid, JSON.stringify(publicJwk)],
    );
  }

  /** Retires every live key but `keepKid` now (BATON_SIGNING_KEY took over); they stay in the JWKS for the overlap. */
  async retireAllExcept(keepKid: string, tx: Queryable = this.db): Promise<void> {
    await tx.query(
      `update signing_keys set retired_at = now() where (retired_at is null or retired_at > now()) and kid <> $1::text`,
      [keepKid],
    );
  }

  /** Retires configured keys now: BATON_SIGNING_KEY is no longer set. */
  async retireConfigured(tx: Queryable = this.db): Promise<void> {
    await tx.query(`update signing_keys set retired_at = now() where source = 'config' and retired_at is null`);
  }

  /** Replaces a plaintext private key by its encrypted form (BATON_SECRET_KEY set after it was stored). */
  async sealPrivateKey(kid: string, sealed: string, tx: Queryable = this.db): Promise<void> {
    await tx.query(`update signing_keys set private_key = $2::text where kid = $1::text and private_key not like 'enc:v1:%'`, [kid, sealed]);
  }

  /** Keys to publish: live ones and those retired less than `overlapSeconds` ago, newest first. */
  async published(overlapSeconds: number, tx: Queryable = this.db): Promise<StoredSigningKey[]> {
    const { rows } = await tx.query<SigningKeyRow>(
      `select ${COLUMNS} from signing_keys
        where retired_at is null or retired_at > now() - make_interval(secs => $1::double precision)
        order by created_at desc, kid`,
      [overlapSeconds],
    );
    return rows.map(toSigningKey);
  }
}
