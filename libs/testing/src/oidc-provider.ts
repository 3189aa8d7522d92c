import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { base64url, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';

export interface SignOptions {
  /** Seconds from now; negative for an expired token. Default 300. */
  expiresIn?: number;
  issuer?: string;
  audience?: string | string[];
  /** Sign with the key the provider does not publish (an unknown `kid`). */
  unknownKey?: boolean;
  kid?: string;
}

/**
 * A real OpenID Connect provider's public side on 127.0.0.1: the discovery document
 * (`/.well-known/openid-configuration`), its JWKS (`/jwks`), and the Supabase Auth layout
 * (`/auth/v1/.well-known/jwks.json`, issuer `<url>/auth/v1`). Keys come from jose's
 * `generateKeyPair`; tokens are really signed. `requests` counts what was fetched.
 */
export class TestOidcProvider {
  readonly requests: string[] = [];
  private server!: Server;
  private key!: CryptoKey;
  private otherKey!: CryptoKey;
  url = '';

  static async start(): Promise<TestOidcProvider> {
    const provider = new TestOidcProvider();
    await provider.listen();
    return provider;
  }

  /** The issuer of the plain (non-Supabase) layout. */
  get issuer(): string {
    return this.url;
  }

  get supabaseIssuer(): string {
    return `${this.url}/auth/v1`;
  }

  /** A token signed with the published key (RS256, kid `k1`), issuer and audience defaulted. */
  async sign(claims: JWTPayload, options: SignOptions = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: options.kid ?? (options.unknownKey ? 'not-published' : 'k1') })
      .setIssuer(options.issuer ?? this.issuer)
      .setAudience(options.audience ?? 'baton')
      .setIssuedAt(now)
      .setExpirationTime(now + (options.expiresIn ?? 300));
    return jwt.sign(options.unknownKey ? this.otherKey : this.key);
  }

  /** An unsigned token (`alg: none`), which no verifier may accept. */
  unsigned(claims: JWTPayload): string {
    const part = (value: unknown) => base64url.encode(JSON.stringify(value));
    const now = Math.floor(Date.now() / 1000);
    return `${part({ alg: 'none', typ: 'JWT' })}.${part({ iss: this.issuer, aud: 'baton', exp: now + 300, ...claims })}.`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async listen(): Promise<void> {
    const pair = await generateKeyPair('RS256');
    this.key = pair.privateKey;
    this.otherKey = (await generateKeyPair('RS256')).privateKey;
    const jwks = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] };
    this.server = createServer((request, response) => {
      const path = request.url ?? '/';
      this.requests.push(path);
      const send = (body: unknown) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify(body));
      };
      if (path === '/.well-known/openid-configuration') return send({ issuer: this.issuer, jwks_uri: `${this.url}/jwks` });
      if (path === '/jwks' || path === '/auth/v1/.well-known/jwks.json') return send(jwks);
      response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
}
