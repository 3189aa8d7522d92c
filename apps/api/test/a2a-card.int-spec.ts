import { ClientFactory, ClientFactoryOptions, DefaultAgentCardResolver, JsonRpcTransportFactory } from '@a2a-js/sdk/client';
import {
  ClientFactory as ClientFactoryV03,
  ClientFactoryOptions as ClientFactoryOptionsV03,
  DefaultAgentCardResolver as DefaultAgentCardResolverV03,
  JsonRpcTransportFactory as JsonRpcTransportFactoryV03,
} from 'a2a-sdk-v03/client';
import { testDatabaseKinds } from '@baton/testing';
import { checkV03, checkV10 } from '../../../libs/a2a/src/testing/a2a-schemas.js';
import { rpc } from './support/a2a-rpc.js';
import { http, startTestApp, useTestServer } from './support/test-app.js';

const ADMIN = 'a2a-card-admin-token-0123456789abcdef';
const CARD = '/.well-known/agent-card.json';

/** A fetch that sends `token` as a bearer token. */
const authed = (token: string): typeof fetch => (input, init) => {
  const headers = new Headers(init?.headers);
  headers.set('authorization', `Bearer ${token}`);
  return fetch(input, { ...init, headers });
};

describe.each(testDatabaseKinds())('the A2A agent card on %s', (kind) => {
  describe('with auth off', () => {
    const ctx = useTestServer(kind);

    it('declares no security, sends Last-Modified, and serves v0.3 without A2A-Version', async () => {
      const v03 = await http('GET', `${ctx.url}${CARD}`);
      expect(checkV03('AgentCard', v03.body)).toEqual([]);
      expect(v03.body.protocolVersion).toBe('0.3.0');
      expect(v03.body.security).toBeUndefined();
      const v10 = await http('GET', `${ctx.url}${CARD}`, undefined, { 'A2A-Version': '1.0' });
      expect(checkV10('AgentCard', v10.body)).toEqual([]);
      expect(v10.body.securityRequirements ?? []).toEqual([]);

      const lastModified = v03.headers.get('last-modified');
      expect(lastModified).toMatch(/GMT$/);
      expect(Date.parse(lastModified!)).toBeLessThanOrEqual(Date.now());
      const since = await fetch(`${ctx.url}${CARD}`, { headers: { 'If-Modified-Since': lastModified! } });
      expect(since.status).toBe(304);
      const older = await fetch(`${ctx.url}${CARD}`, { headers: { 'If-Modified-Since': new Date(Date.parse(lastModified!) - 5_000).toUTCString() } });
      expect(older.status).toBe(200);
    });

    it('serves the v1.0 card without A2A-Version when BATON_A2A_DEFAULT_VERSION=1.0', async () => {
      const second = await startTestApp(ctx.database.db, { BATON_A2A_DEFAULT_VERSION: '1.0' });
      try {
        const card = await http('GET', `${second.url}${CARD}`);
        expect(card.body.supportedInterfaces).toBeDefined();
        expect(card.body.protocolVersion).toBeUndefined();
        expect(checkV10('AgentCard', card.body)).toEqual([]);
        const v03 = await http('GET', `${second.url}${CARD}`, undefined, { 'A2A-Version': '0.3' });
        expect(v03.body.protocolVersion).toBe('0.3.0');
      } finally {
        await second.close();
      }
    });
  });

  describe('with auth on', () => {
    const ctx = useTestServer(kind, { BATON_BOOTSTRAP_TOKEN: ADMIN });
    let agent = '';

    beforeAll(async () => {
      const created = await http('POST', `${ctx.url}/api/v1/tokens`, { name: 'card-agent', role: 'agent' }, { authorization: `Bearer ${ADMIN}` });
      agent = created.body.token;
    });

    it('declares bearer security in both shapes', async () => {
      const v03 = await http('GET', `${ctx.url}${CARD}`);
      expect(v03.body.security).toEqual([{ bearer: [] }]);
      const v10 = await http('GET', `${ctx.url}${CARD}`, undefined, { 'A2A-Version': '1.0' });
      expect(v10.body.securityRequirements).toEqual([{ schemes: { bearer: expect.any(Object) } }]);
      expect(checkV10('AgentCard', v10.body)).toEqual([]);
    });

    it('shows the caller what it may do on the authenticated extended card (JSON-RPC, both dialects)', async () => {
      const v10 = await rpc(ctx.url, agent, 'GetExtendedAgentCard', {});
      expect(checkV10('AgentCard', v10.body.result)).toEqual([]);
      expect(v10.body.result.capabilities.extensions).toEqual([
        expect.objectContaining({
          uri: 'urn:baton:a2a:caller:v1',
          params: { name: 'card-agent', role: 'agent', permissions: ['read', 'runs.submit', 'system.read'], tasks: 'own', decisions: 'agent_input of its own tasks' },
        }),
        expect.objectContaining({ uri: 'urn:baton:a2a:call-token:v1', params: expect.objectContaining({ jwks_uri: `${ctx.url}/.well-known/jwks.json` }) }),
      ]);
      const v03 = await rpc(ctx.url, ADMIN, 'agent/getAuthenticatedExtendedCard', {}, '0.3');
      expect(checkV03('AgentCard', v03.body.result)).toEqual([]);
      expect(v03.body.result.capabilities.extensions[0].params).toMatchObject({ name: 'bootstrap', role: 'admin', tasks: 'all', decisions: 'all' });
      expect((await rpc(ctx.url, undefined, 'GetExtendedAgentCard', {})).status).toBe(401);
    });

    it('is what the official SDK clients fetch as the card', async () => {
      const v1 = await new ClientFactory(
        ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
          transports: [new JsonRpcTransportFactory({ fetchImpl: authed(agent) })],
          cardResolver: new DefaultAgentCardResolver({ fetchImpl: authed(agent) }),
        }),
      ).createFromUrl(ctx.url);
      const card = await v1.getAgentCard();
      expect(card.capabilities?.extensions.map((e) => e.uri)).toEqual(['urn:baton:a2a:caller:v1', 'urn:baton:a2a:call-token:v1']);

      const v03 = await new ClientFactoryV03(
        ClientFactoryOptionsV03.createFrom(ClientFactoryOptionsV03.default, {
          transports: [new JsonRpcTransportFactoryV03({ fetchImpl: authed(agent) })],
          cardResolver: new DefaultAgentCardResolverV03({ fetchImpl: authed(agent) }),
        }),
      ).createFromUrl(ctx.url);
      const cardV03 = await v03.getAgentCard();
      expect(cardV03.capabilities.extensions?.[0]?.params).toMatchObject({ role: 'agent', tasks: 'own' });
    });
  });
});
