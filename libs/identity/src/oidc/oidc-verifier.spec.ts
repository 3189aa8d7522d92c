import { SignJWT } from 'jose';
import { BatonError, readOidcConfig, type FieldError, type OidcConfig } from '@baton/common';
import { TestOidcProvider } from '@baton/testing';
import { looksLikeJwt, MAX_JWT_LENGTH, OidcVerifier } from './oidc-verifier.js';

function config(env: Record<string, string>): OidcConfig {
  const errors: FieldError[] = [];
  const parsed = readOidcConfig(env, errors);
  expect(errors).toEqual([]);
  return parsed!;
}

async function refusal(verifier: OidcVerifier, token: string): Promise<string> {
  const error = await verifier.verify(token).then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(BatonError);
  expect((error as BatonError).kind).toBe('unauthorized');
  return (error as BatonError).message;
}

/**
 * Bearer JWTs from a real OIDC provider on loopback (real RSA keys, real signatures): what is
 * accepted, what is refused and why, and how claims become a person.
 */
describe('OidcVerifier', () => {
  let provider: TestOidcProvider;
  let verifier: OidcVerifier;

  beforeAll(async () => {
    provider = await TestOidcProvider.start();
    // No BATON_OIDC_JWKS_URL: the keys are found through the discovery document.
    verifier = new OidcVerifier(
      config({
        BATON_OIDC_ISSUER: provider.issuer,
        BATON_OIDC_AUDIENCE: 'baton',
        BATON_OIDC_ROLE_MAP: 'release-managers=operator,staff=viewer',
        BATON_OIDC_OWNER_CLAIM: 'tenant',
      }),
    );
  });
  afterAll(() => provider.close());

  it('accepts a token signed with the published key, found through discovery, and maps its claims', async () => {
    const token = await provider.sign({ sub: 'u-1', name: 'Ada', email: 'ada@example.com', groups: ['staff', 'release-managers'], tenant: 'acme' });
    expect(await verifier.verify(token)).toEqual({
      subject: 'u-1', name: 'Ada', email: 'ada@example.com', role: 'operator', groups: ['staff', 'release-managers'], owner: 'acme', issuer: provider.issuer,
    });
    expect(provider.requests).toEqual(expect.arrayContaining(['/.well-known/openid-configuration', '/jwks']));
  });

  it('lets a role claim naming a Baton role win, and gives the default role otherwise', async () => {
    expect((await verifier.verify(await provider.sign({ sub: 'u-2', baton_role: 'admin', groups: ['staff'] }))).role).toBe('admin');
    const plain = await verifier.verify(await provider.sign({ sub: 'u-3' }));
    expect(plain).toMatchObject({ role: 'viewer', name: 'u-3', groups: [] });
    expect(plain.owner).toBeUndefined();
  });

  it('refuses expired tokens, the wrong audience and the wrong issuer, saying which', async () => {
    expect(await refusal(verifier, await provider.sign({ sub: 'u' }, { expiresIn: -3600 }))).toBe('bearer JWT has expired');
    expect(await refusal(verifier, await provider.sign({ sub: 'u' }, { audience: 'someone-else' }))).toMatch(/wrong audience: expected baton/);
    expect(await refusal(verifier, await provider.sign({ sub: 'u' }, { issuer: 'https://evil.example' }))).toMatch(/wrong issuer/);
  });

  it('refuses alg none, an unknown kid, HMAC-signed, malformed and oversize tokens', async () => {
    expect(await refusal(verifier, provider.unsigned({ sub: 'u' }))).toMatch(/algorithm is not accepted|malformed/);
    expect(await refusal(verifier, await provider.sign({ sub: 'u' }, { unknownKey: true }))).toMatch(/kid/);
    const hmac = await new SignJWT({ sub: 'u' })
      .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
      .setIssuer(provider.issuer)
      .setAudience('baton')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('a shared secret of thirty-two bytes!'));
    expect(await refusal(verifier, hmac)).toMatch(/algorithm is not accepted/);
    expect(await refusal(verifier, 'aaa.bbb.ccc')).toMatch(/malformed bearer JWT/);
    expect(await refusal(verifier, 'a b.c.d')).toMatch(/malformed bearer JWT/);
    expect(await refusal(verifier, `${'a'.repeat(MAX_JWT_LENGTH)}.b.c`)).toMatch(/larger than 8192/);
  });

  it('refuses a token whose signature does not verify', async () => {
    const [header, payload] = (await provider.sign({ sub: 'u' })).split('.');
    const [, , signature] = (await provider.sign({ sub: 'other' })).split('.');
    expect(await refusal(verifier, `${header}.${payload}.${signature}`)).toMatch(/signature does not verify/);
  });

  it('refuses claims of the wrong shape rather than granting the default role', async () => {
    expect(await refusal(verifier, await provider.sign({ sub: 'u', groups: [1, 2] }))).toMatch(/claim groups must be/);
    expect(await refusal(verifier, await provider.sign({ sub: 'u', tenant: 'two words' }))).toMatch(/claim tenant/);
  });

  it('finds Supabase Auth from SUPABASE_URL alone', async () => {
    const supabase = config({ SUPABASE_URL: `${provider.url}/` });
    expect(supabase).toMatchObject({
      issuer: provider.supabaseIssuer,
      jwksUrl: `${provider.supabaseIssuer}/.well-known/jwks.json`,
      audiences: ['authenticated'],
      roleClaim: 'app_metadata.baton_role',
    });
    const token = await provider.sign(
      { sub: 'sb-1', email: 'grace@example.com', role: 'authenticated', app_metadata: { baton_role: 'operator', groups: ['ops'] } },
      { issuer: provider.supabaseIssuer, audience: 'authenticated' },
    );
    expect(await new OidcVerifier(supabase).verify(token)).toMatchObject({ subject: 'sb-1', name: 'grace@example.com', role: 'operator', groups: ['ops'] });
  });

  it('tells JWT-shaped bearer values from API tokens', () => {
    expect(looksLikeJwt('baton_abcDEF123-_')).toBe(false);
    expect(looksLikeJwt('a.b.c')).toBe(true);
    expect(looksLikeJwt('a.b.')).toBe(true);
  });
});

describe('readOidcConfig', () => {
  it('is off without an issuer, and names each bad variable', () => {
    expect(readOidcConfig({}, [])).toBeUndefined();
    const errors: FieldError[] = [];
    readOidcConfig(
      { BATON_OIDC_ISSUER: 'ftp://x', BATON_OIDC_ALGORITHMS: 'RS256,HS256,none', BATON_OIDC_DEFAULT_ROLE: 'root', BATON_OIDC_ROLE_MAP: 'x=god' },
      errors,
    );
    expect(errors.map((e) => e.path).sort()).toEqual(
      ['BATON_OIDC_ALGORITHMS', 'BATON_OIDC_ALGORITHMS', 'BATON_OIDC_AUDIENCE', 'BATON_OIDC_DEFAULT_ROLE', 'BATON_OIDC_ISSUER', 'BATON_OIDC_ROLE_MAP'].sort(),
    );
  });
});
