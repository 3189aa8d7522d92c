import type { NestExpressApplication } from '@nestjs/platform-express';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { Express, Request, Response } from 'express';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The version in the repository's package.json (found by walking up, from source or dist). */
function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'baton' && pkg.version) return pkg.version;
    } catch {
      // no package.json here
    }
    const parent = dirname(dir);
    if (parent === dir) return '0.0.0';
    dir = parent;
  }
}

export const BATON_VERSION = packageVersion();
export const API_DOCS_PATH = '/api/docs';
export const OPENAPI_JSON_PATH = '/api/docs/openapi.json';

const UI_PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Baton API</title>
  <link rel="stylesheet" href="${API_DOCS_PATH}/swagger-ui.css">
  <link rel="stylesheet" href="${API_DOCS_PATH}/index.css">
  <link rel="icon" type="image/png" href="${API_DOCS_PATH}/favicon-32x32.png" sizes="32x32">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="${API_DOCS_PATH}/swagger-ui-bundle.js"></script>
  <script src="${API_DOCS_PATH}/swagger-ui-standalone-preset.js"></script>
  <script src="${API_DOCS_PATH}/swagger-initializer.js"></script>
</body>
</html>
`;

// Replaces the package's own swagger-initializer.js, which would load the Petstore example.
const UI_INIT = `window.ui = SwaggerUIBundle({
  url: ${JSON.stringify(OPENAPI_JSON_PATH)},
  dom_id: '#swagger-ui',
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  plugins: [SwaggerUIBundle.plugins.DownloadUrl],
  layout: 'StandaloneLayout',
  deepLinking: true,
});
`;

/**
 * Builds the OpenAPI 3 document from the controllers with `@nestjs/swagger`. The package is
 * imported on the first request, not at start-up: it adds ~250 ms and ~20 MB to a start for
 * a page few people open. Operations are tagged by controller (swagger's default).
 */
async function buildDocument(app: NestExpressApplication): Promise<OpenAPIObject> {
  const { DocumentBuilder, SwaggerModule } = await import('@nestjs/swagger');
  const config = new DocumentBuilder()
    .setTitle('Baton')
    .setDescription(
      'Orchestration hub for multi-agent work. Request and response bodies are described in docs/api.md in the repository; ' +
        'A2A (JSON-RPC at POST /a2a) in docs/a2a.md.',
    )
    .setVersion(BATON_VERSION)
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'an API token (baton_...), when auth is on' }, 'bearer')
    .addSecurityRequirements('bearer')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  delete document.paths['/']; // the landing page is not an API operation
  return document;
}

/**
 * `GET /api/docs`: Swagger UI, its files served from the `swagger-ui-dist` package (no CDN);
 * `GET /api/docs/openapi.json`: the OpenAPI 3 description of the REST API. Registered on
 * Express directly, before Nest's router, like any static asset.
 */
export function setupApiDocs(app: NestExpressApplication): void {
  const http = app.getHttpAdapter().getInstance() as Express;
  let document: Promise<OpenAPIObject> | undefined;
  http.get(OPENAPI_JSON_PATH, async (_req: Request, res: Response) => {
    try {
      document ??= buildDocument(app);
      res.type('application/json').send(JSON.stringify(await document));
    } catch (error) {
      document = undefined;
      res.status(500).json({ statusCode: 500, error: 'Internal Server Error', message: `OpenAPI document: ${(error as Error).message}` });
    }
  });
  for (const path of [API_DOCS_PATH, `${API_DOCS_PATH}/`, `${API_DOCS_PATH}/index.html`]) {
    http.get(path, (_req: Request, res: Response) => void res.type('text/html').send(UI_PAGE));
  }
  http.get(`${API_DOCS_PATH}/swagger-initializer.js`, (_req: Request, res: Response) => void res.type('application/javascript').send(UI_INIT));
  const uiRoot = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  app.useStaticAssets(uiRoot, { prefix: API_DOCS_PATH, index: false });
}
