import { http, useTestServer } from './support/test-app.js';

/** Links on the landing page, each to a route that exists (the dashboard is served by its own module). */
const LANDING_LINKS = ['/api/docs', '/dashboard', '/health', '/ready', '/metrics', '/.well-known/agent-card.json'];

describe('the landing page and the API reference', () => {
  const ctx = useTestServer('pglite');

  it('serves a small HTML page at GET / linking the docs, the probes, the agent card and the dashboard', async () => {
    const response = await fetch(`${ctx.url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await response.text();
    for (const link of LANDING_LINKS) expect(html).toContain(`href="${link}"`);
    expect(html).not.toMatch(/<script|https?:\/\//); // no scripts and nothing fetched from elsewhere
  });

  it('serves an OpenAPI 3 document at /api/docs/openapi.json listing the main routes', async () => {
    const { status, body } = await http('GET', `${ctx.url}/api/docs/openapi.json`);
    expect(status).toBe(200);
    expect(body.openapi).toMatch(/^3\./);
    expect(body.info).toMatchObject({ title: 'Baton', version: expect.any(String) });
    const expected: Array<[string, string]> = [
      ['/api/v1/runs', 'post'],
      ['/api/v1/runs', 'get'],
      ['/api/v1/runs/{id}', 'get'],
      ['/api/v1/runs/{id}/cancel', 'post'],
      ['/api/v1/definitions', 'post'],
      ['/api/v1/agents', 'get'],
      ['/api/v1/approvals/{id}/decision', 'post'],
      ['/api/v1/webhooks', 'post'],
      ['/api/v1/tokens', 'post'],
      ['/health', 'get'],
      ['/ready', 'get'],
    ];
    for (const [path, method] of expected) {
      expect({ path, method, operation: body.paths[path]?.[method] }).toEqual({ path, method, operation: expect.objectContaining({ responses: expect.any(Object) }) });
    }
    expect(body.paths['/']).toBeUndefined(); // the landing page is not an API operation
    expect(body.paths['/api/v1/runs'].post.tags).toEqual(['Runs']);
    expect(body.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('serves Swagger UI at /api/docs from the package, not a CDN', async () => {
    const page = await fetch(`${ctx.url}/api/docs`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('swagger-ui');
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThan(2);
    for (const asset of assets) {
      expect(asset).not.toMatch(/^(https?:)?\/\//);
      const response = await fetch(new URL(asset, `${ctx.url}/api/docs/`));
      expect({ asset, status: response.status }).toEqual({ asset, status: 200 });
      await response.arrayBuffer();
    }
    const init = await (await fetch(`${ctx.url}/api/docs/swagger-initializer.js`)).text();
    expect(init).toContain('"/api/docs/openapi.json"'); // ours, not the package's Petstore example
    expect(init).not.toMatch(/petstore/i);
  });

  it('gives the agent card a documentationUrl that answers 200', async () => {
    const { body: card } = await http('GET', `${ctx.url}/.well-known/agent-card.json`);
    expect(card.documentationUrl).toEqual(expect.any(String));
    const docs = await fetch(card.documentationUrl);
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-type')).toMatch(/^text\/html/);
  });

  it('keeps these pages public when auth is on', async () => {
    const { AccessPolicy, accessRules } = await import('@baton/identity');
    const policy = new AccessPolicy(accessRules());
    for (const path of ['/', '/api/docs', '/api/docs/openapi.json']) expect(policy.ruleFor('GET', path).access).toBe('public');
  });
});

describe('the landing page with auth on', () => {
  const ctx = useTestServer('pglite', { BATON_BOOTSTRAP_TOKEN: 'landing-test-token-0123456789abcdef' });

  it('answers GET /, /api/docs and /api/docs/openapi.json without a token, and the API still needs one', async () => {
    for (const path of ['/', '/api/docs', '/api/docs/openapi.json']) {
      expect({ path, status: (await fetch(`${ctx.url}${path}`)).status }).toEqual({ path, status: 200 });
    }
    expect((await fetch(`${ctx.url}/api/v1/runs`)).status).toBe(401);
  });
});
