import { generateKeyPairSync } from 'node:crypto';
import { BatonConfig, BatonError } from '@baton/common';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '@baton/testing';
import { SigningKeyRepository } from './signing-key.repository.js';
import { SigningKeysService } from './signing-keys.service.js';

/** Issue 13: every instance signs with one key; BATON_SIGNING_KEY takes over and hands back. */
describe.each(testDatabaseKinds())('signing keys on %s', (kind) => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
  });

  afterAll(async () => {
    await database?.drop();
  });

  const instance = (env: Record<string, string> = {}) =>
    new SigningKeysService(new SigningKeyRepository(database.db), database.db, new BatonConfig({ BATON_SECRET_KEY: 's'.repeat(40), ...env }));

  it('makes instances starting together agree on one generated key', async () => {
    const [a, b, c] = [instance(), instance(), instance()];
    await Promise.all([a.onApplicationBootstrap(), b.onApplicationBootstrap(), c.onApplicationBootstrap()]);
    const kids = await Promise.all([a, b, c].map(async (keys) => (await keys.current()).kid));
    expect(new Set(kids).size).toBe(1);
    expect((await a.jwks()).keys.map((key) => key.kid)).toEqual([kids[0]]);
  });

  it('signs with BATON_SIGNING_KEY once set, keeps the replaced key published, and refuses to rotate it', async () => {
    const generated = (await instance().current()).kid;
    const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const configured = instance({ BATON_SIGNING_KEY: pem });
    await configured.onApplicationBootstrap();
    const kid = (await configured.current()).kid;
    expect(kid).not.toBe(generated);
    expect((await configured.jwks()).keys.map((key) => key.kid).sort()).toEqual([generated, kid].sort());
    await expect(configured.rotate()).rejects.toBeInstanceOf(BatonError);

    // Unset again: a fresh generated key signs; the configured one is retired but still published.
    const back = instance();
    await back.onApplicationBootstrap();
    const now = (await back.current()).kid;
    expect([generated, kid]).not.toContain(now);
    expect((await back.jwks()).keys.map((key) => key.kid)).toEqual(expect.arrayContaining([generated, kid, now]));
    // Outside the overlap only the signing key is left.
    expect((await instance({ BATON_SIGNING_KEY_OVERLAP_HOURS: '0.000001' }).jwks()).keys.map((key) => key.kid)).toEqual([now]);
  });

  it('replaces a stored key it cannot decrypt instead of failing every call', async () => {
    const before = (await instance().current()).kid;
    const other = instance({ BATON_SECRET_KEY: 'o'.repeat(40) });
    const after = (await other.current()).kid;
    expect(after).not.toBe(before);
    expect((await other.jwks()).keys.map((key) => key.kid)).toEqual(expect.arrayContaining([before, after]));
  });
});
