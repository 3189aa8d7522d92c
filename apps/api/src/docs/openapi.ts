import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { readFileSync } from 'node:fs';
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
export const API_DOCS_PATH = 'api/docs';
export const OPENAPI_JSON_PATH = 'api/docs/openapi.json';

/**
 * Serves the OpenAPI 3 description of the REST API at `/api/docs/openapi.json` and Swagger
 * UI at `/api/docs`. The UI's files come from the `swagger-ui-dist` package (no CDN). The
 * document is built on the first request, not at start-up, so it costs nothing until used.
 * Operations are tagged by controller (swagger's default), which groups them like docs/api.md.
 */
export function setupApiDocs(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Baton')
    .setDescription(
      'Orchestration hub for multi-agent work. Request and response bodies are described in docs/api.md in the repository; ' +
        'A2A (JSON-RPC at POST /a2a) in docs/a2a.md.',
    )
    .setVersion(BATON_VERSION)
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'an API token (baton_...), when auth is on' })
    .addSecurityRequirements('bearer')
    .build();
  SwaggerModule.setup(API_DOCS_PATH, app, () => SwaggerModule.createDocument(app, config), {
    jsonDocumentUrl: OPENAPI_JSON_PATH,
    raw: ['json'],
    customSiteTitle: 'Baton API',
  });
}
