import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify, SignJWT } from 'jose';
import { SigningKeysService } from '@baton/agents';
import { testDatabaseKinds, waitFor } from '@baton/testing';
import { startV1TestAgent, type TestAgent } from '../../../libs/agents/src/clients/a2a/testing/a2a-test-agents.js';
import { stepOf } from './support/runs.js';
import { http, useTestServer } from './support/test-app.js';

const ADMIN = 'agent-identity-admin-token-0123456789';
const admin = { authorization: `Bearer ${ADMIN}` };
const SECRET_KEY = 'agent-identity-secret-key-0123456789abcdef';
const AGENT_KEY = 'Bearer agent-own-api-key-s3cret';

/**
 * A real `http` agent on loopback that does what the docs tell agents to do: fetch Baton's
 * JWKS over HTTP and verify the `x-baton-call-token` of every call (issuer, its own URL as
 * audience, EdDSA). Calls that fail verification get 401 with jose's error code.
 */
interface VerifyingAgent {
  url: string;
  calls: Array<{ claims: Record<string, unknown>; kid: string | undefined; authorization: string | undefined }>;
  /** Sends a request with `token` as the call token, as if Baton had sent it. */
  present(token: string): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

async function startVerifyingAgent(jwksUrl: string, issuer: string): Promise<VerifyingAgent> {
  // jose refetches the JWKS when a token names a kid it has not seen, by default at most every
  // 30 s (Baton publishes a rotated-in key 300 s before it signs); this suite stages rotations
  // for 2 s only, so its agent refetches without a cool-down.
  const jwks = createRemoteJWKSet(new URL(jwksUrl), { cooldownDuration: 0 });
  const calls: VerifyingAgent['calls'] = [];
  let url = '';
  const server: Server = createServer((request: IncomingMessage, response) => {
    request.resume();
    request.on('end', async () => {
      const token = String(request.headers['x-baton-call-token'] ?? '');
      try {
        const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer, audience: url, algorithms: ['EdDSA'] });
        calls.push({ claims: payload, kid: protectedHeader.kid, authorization: request.headers.authorization });
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ run_id: payload.run_id, step_id: payload.step_id }));
      } catch (error) {
        response.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: (error as { code?: string }).code ?? String(error) }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/call`;
  return {
    url,
    calls,
    present: async (token) => {
      const answer = await http('POST', url, {}, { 'x-baton-call-token': token });
      return { status: answer.status, body: answer.body };
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * Issue 13, agent identities: Baton signs every call to an agent with a short-lived Ed25519
 * token that agents verify against its public JWKS; agents call Baton with credentials bound
 * to their registration (a Cedar `Agent` principal); agent header values are encrypted at rest.
 */
describe.each(testDatabaseKinds())('agent identities on %s', (kind) => {
  const ctx = useTestServer(kind, { BATON_BOOTSTRAP_TOKEN: ADMIN, BATON_SECRET_KEY: SECRET_KEY, BATON_POLICY_POLL_MS: '60000', BATON_SIGNING_KEY_PUBLISH_SECONDS: '2' });
  let agent: VerifyingAgent;
  let a2aAgent: TestAgent;
  let issuer = '';

  beforeAll(async () => {
    issuer = ctx.server.config.publicUrl;
    agent = await startVerifyingAgent(`${ctx.url}/.well-known/jwks.json`, issuer);
    a2aAgent = await startV1TestAgent('echo');
    const registered = await http('POST', `${ctx.url}/api/v1/agents`, { name: 'verifier', kind: 'http', url: agent.url, headers: { authorization: AGENT_KEY } }, admin);
    expect(registered.status).toBe(201);
    expect((await http('POST', `${ctx.url}/api/v1/agents`, { name: 'a2a-echo', kind: 'a2a', url: a2aAgent.url }, admin)).status).toBe(201);
  });

  afterAll(async () => {
    await agent?.close();
    await a2aAgent?.close();
  });

  async function runPlan(steps: unknown[], headers = admin): Promise<any> {
    const created = await http('POST', `${ctx.url}/api/v1/runs`, { plan: { steps } }, headers);
    expect(created.status).toBe(201);
    return waitFor(async () => {
      const run = (await http('GET', `${ctx.url}/api/v1/runs/${created.body.id}`, undefined, admin)).body;
      return ['completed', 'failed', 'cancelled'].includes(run.status) ? run : undefined;
    }, { what: `run ${created.body.id}` });
  }

  it('signs each agent call with a token the agent verifies against the JWKS fetched over HTTP', async () => {
    const run = await runPlan([{ id: 'check', agent: 'verifier', input: { q: 1 } }]);
    expect(run.status).toBe('completed');
    const step = stepOf(run, 'check');
    // The agent's answer is what it verified: this run and this step.
    expect(step.output).toEqual({ run_id: run.id, step_id: step.stepId });
    const call = agent.calls.at(-1)!;
    expect(call.claims).toMatchObject({ iss: issuer, aud: agent.url, sub: 'agent:verifier', run_id: run.id, step_id: step.stepId });
    expect(Number(call.claims.exp) - Number(call.claims.iat)).toBe(300);
    expect(typeof call.claims.jti).toBe('string');
    // Its own Authorization header still arrives, decrypted, untouched by the call token.
    expect(call.authorization).toBe(AGENT_KEY);
  });

  it('refuses forged, expired and misaddressed tokens at the agent', async () => {
    const keys = ctx.server.app.get(SigningKeysService);
    const baton = await keys.current();
    const claims = { run_id: randomUUID(), step_id: randomUUID() };
    const sign = (key: Parameters<SignJWT['sign']>[0], kid: string, exp: number, aud = agent.url) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid }).setIssuer(issuer).setAudience(aud)
        .setSubject('agent:verifier').setIssuedAt(exp - 300).setExpirationTime(exp).sign(key);
    const now = Math.floor(Date.now() / 1000);
    // The control: Baton's own key, valid now, is accepted by the same agent.
    expect((await agent.present(await sign(baton.privateKey, baton.kid, now + 60))).status).toBe(200);
    const forger = generateKeyPairSync('ed25519').privateKey;
    expect((await agent.present(await sign(forger, baton.kid, now + 60))).body.error).toBe('ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
    expect((await agent.present(await sign(baton.privateKey, baton.kid, now - 10))).body.error).toBe('ERR_JWT_EXPIRED');
    expect((await agent.present(await sign(baton.privateKey, baton.kid, now + 60, 'http://elsewhere.example/'))).body.error).toBe('ERR_JWT_CLAIM_VALIDATION_FAILED');
    expect((await agent.present('')).status).toBe(401);
  });

  it('sends the call token to A2A agents on every request of the call', async () => {
    const run = await runPlan([{ id: 'ask', agent: 'a2a-echo', input: { topic: 'otters' } }]);
    expect(run.status).toBe('completed');
    const token = String(a2aAgent.received.at(-1)!.headers['x-baton-call-token']);
    const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(`${ctx.url}/.well-known/jwks.json`)), { issuer, audience: a2aAgent.url });
    expect(payload).toMatchObject({ sub: 'agent:a2a-echo', run_id: run.id, step_id: stepOf(run, 'ask').stepId });
  });

  it('publishes the JWKS on the agent card and keeps a rotated key verifiable', async () => {
    const card = await http('GET', `${ctx.url}/.well-known/agent-card.json`);
    const extension = card.body.capabilities.extensions.find((e: { uri: string }) => e.uri === 'urn:baton:a2a:call-token:v1');
    expect(extension.params).toEqual({ jwks_uri: `${ctx.url}/.well-known/jwks.json`, issuer, header: 'x-baton-call-token', algorithm: 'EdDSA' });

    const oldKid = (await http('GET', `${ctx.url}/.well-known/jwks.json`)).body.keys[0].kid;
    expect((await http('POST', `${ctx.url}/api/v1/signing-keys/rotate`, {}, { authorization: 'Bearer nope' })).status).toBe(401);
    const rotated = await http('POST', `${ctx.url}/api/v1/signing-keys/rotate`, {}, admin);
    expect(rotated.status).toBe(200);
    expect(rotated.body.kid).not.toBe(oldKid);
    // Published at once, next to the key that still signs; never a private part.
    expect(rotated.body.keys.map((key: { kid: string }) => key.kid)).toEqual([rotated.body.kid, oldKid]);
    expect(rotated.body.keys[0]).not.toHaveProperty('d');
    expect((await http('GET', `${ctx.url}/.well-known/jwks.json`)).body.keys).toHaveLength(2);
    // Until it activates the old key signs (checked only if this machine was quick enough to
    // ask within the 2 s); then the new one, and the agent verifies it.
    const keys = ctx.server.app.get(SigningKeysService);
    const signing = (await keys.current()).kid;
    if (Date.now() < Date.parse(rotated.body.activatesAt) - 200) expect(signing).toBe(oldKid);
    await waitFor(async () => (await keys.current()).kid === rotated.body.kid, { what: 'the rotated-in key to sign' });
    const run = await runPlan([{ id: 'two', agent: 'verifier' }]);
    expect(stepOf(run, 'two').error ?? null).toBeNull();
    expect(run.status).toBe('completed');
    expect(agent.calls.at(-1)!.kid).toBe(rotated.body.kid);
    const raw = await ctx.database.db.query<{ private_key: string }>(`select private_key from signing_keys where kid = $1::text`, [rotated.body.kid]);
    expect(raw.rows[0]!.private_key.startsWith('enc:v1:')).toBe(true);
  });

  it('stores agent header values encrypted and never returns them', async () => {
    const raw = await ctx.database.db.query<{ headers: Record<string, string> }>(`select headers from agents where name = 'verifier'`);
    const stored = raw.rows[0]!.headers.authorization!;
    expect(stored.startsWith('enc:v1:')).toBe(true);
    expect(stored).not.toContain('s3cret');
    for (const path of ['/api/v1/agents/verifier', '/api/v1/agents']) {
      const answer = await http('GET', `${ctx.url}${path}`, undefined, admin);
      expect(answer.status).toBe(200);
      expect(JSON.stringify(answer.body)).not.toContain('s3cret');
      expect(JSON.stringify(answer.body)).not.toContain('enc:v1:');
    }
    expect((await http('GET', `${ctx.url}/api/v1/agents/verifier`, undefined, admin)).body.headers).toEqual(['authorization']);
  });

  it('authenticates agent credentials as the Cedar Agent principal, and revokes them', async () => {
    expect((await http('POST', `${ctx.url}/api/v1/agents/nobody/credentials`, {}, admin)).status).toBe(404);
    expect((await http('POST', `${ctx.url}/api/v1/agents/builtin:echo/credentials`, {}, admin)).status).toBe(409);
    const issued = await http('POST', `${ctx.url}/api/v1/agents/verifier/credentials`, {}, admin);
    expect(issued.status).toBe(201);
    expect(issued.body).toMatchObject({ role: 'agent', agent: 'verifier', revokedAt: null });
    const credential = { authorization: `Bearer ${issued.body.token}` };
    const plain = await http('POST', `${ctx.url}/api/v1/tokens`, { name: 'plain-agent', role: 'agent' }, admin);
    const unbound = { authorization: `Bearer ${plain.body.token}` };

    expect((await http('GET', `${ctx.url}/api/v1/whoami`, undefined, credential)).body).toMatchObject({ name: 'verifier', role: 'agent', agent: 'verifier' });
    const listed = await http('GET', `${ctx.url}/api/v1/agents/verifier/credentials`, undefined, admin);
    expect(listed.body.items.map((item: { id: string }) => item.id)).toEqual([issued.body.id]);
    expect(JSON.stringify(listed.body)).not.toContain(issued.body.token);

    // A policy naming the Agent principal decides for the credential, not for unbound agent tokens.
    const policy = `permit (principal, action, resource) when { principal.role == "admin" };
permit (principal, action == Baton::Action::"read", resource);
permit (principal in Baton::Role::"agent", action in Baton::Action::"runs.submit", resource);
forbid (principal == Baton::Agent::"verifier", action == Baton::Action::"run.create", resource);`;
    expect((await http('POST', `${ctx.url}/api/v1/policies`, { policy, activate: true }, admin)).status).toBe(201);
    try {
      const denied = await http('POST', `${ctx.url}/api/v1/runs`, { plan: { steps: [{ id: 'a', agent: 'builtin:echo' }] } }, credential);
      expect(denied.status).toBe(403);
      expect((await http('POST', `${ctx.url}/api/v1/runs`, { plan: { steps: [{ id: 'a', agent: 'builtin:echo' }] } }, unbound)).status).toBe(201);
    } finally {
      await http('POST', `${ctx.url}/api/v1/policies/default/activate`, {}, admin);
    }
    const allowed = await http('POST', `${ctx.url}/api/v1/runs`, { plan: { steps: [{ id: 'a', agent: 'builtin:echo' }] } }, credential);
    expect(allowed.status).toBe(201);
    // The run records who started it: the credential, which is bound to the agent.
    const submitted = await ctx.database.db.query<{ submitted_by: string }>(`select submitted_by::text from orchestration_runs where id = $1::uuid`, [allowed.body.id]);
    expect(submitted.rows[0]!.submitted_by).toBe(issued.body.id);

    // Messages are the agent's: it sends as `verifier` (not its token's name) and is reachable as `verifier`.
    expect((await http('POST', `${ctx.url}/api/v1/message-types`, { name: 'hello', schema: { type: 'object' } }, admin)).status).toBe(201);
    const message = (to: string) => ({ kind: 'event', type: 'hello', nonce: randomUUID(), to: { agent: to }, payload: {} });
    expect(await http('POST', `${ctx.url}/api/v1/messages`, message('plain-agent'), credential)).toMatchObject({ status: 201, body: { from: 'verifier' } });
    expect(await http('POST', `${ctx.url}/api/v1/messages`, message('verifier'), unbound)).toMatchObject({ status: 201, body: { from: 'plain-agent' } });
    const inbox = await http('GET', `${ctx.url}/api/v1/messages/inbox`, undefined, credential);
    expect(inbox.body.items.map((item: { message: { from: string } }) => item.message.from)).toEqual(['plain-agent']);

    const revoked = await http('DELETE', `${ctx.url}/api/v1/agents/verifier/credentials/${issued.body.id}`, undefined, admin);
    expect(revoked).toMatchObject({ status: 200, body: { revokedAt: expect.any(String) } });
    expect((await http('GET', `${ctx.url}/api/v1/whoami`, undefined, credential)).status).toBe(401);
    expect((await http('DELETE', `${ctx.url}/api/v1/agents/verifier/credentials/${issued.body.id}`, undefined, admin)).status).toBe(404);
  });
});
